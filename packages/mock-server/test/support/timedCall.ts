export interface TimedAnswer {
  /** Null when no answer came: the deadline passed first, or the connection failed. */
  status: number | null;
  contentType: string;
  /** The body as far as it was read. */
  text: string;
  /** Why there is no answer, or why the body stops short. */
  cut: 'deadline' | 'read-window' | null;
  error?: string;
}

export interface TimedCallOptions {
  body?: unknown;
  accept?: string;
  /** The whole exchange; past it the answer counts as missing. @default 15_000 (milliseconds) */
  timeoutMs?: number;
  /**
   * For an answer that may stream without end (a followed log): hang up after this long,
   * counted from the request (a stream's headers may wait for its first line), and judge
   * what came.
   */
  readMs?: number;
}

/**
 * An API call with the admin token and a deadline, for fuzzers: a server that never answers
 * must fail the property, not hang the test. Streamed answers are read whole, or for
 * `readMs` when they may never end.
 */
export async function timedCall(server: { url: string; adminToken: string }, method: string, path: string, options: TimedCallOptions = {}): Promise<TimedAnswer> {
  const aborter = new AbortController();
  let cut: TimedAnswer['cut'] = null;
  const deadline = setTimeout(() => {
    cut = 'deadline';
    aborter.abort();
  }, options.timeoutMs ?? 15_000);
  const window =
    options.readMs === undefined
      ? undefined
      : setTimeout(() => {
          cut ??= 'read-window';
          aborter.abort();
        }, options.readMs);
  const headers: Record<string, string> = { authorization: `Bearer ${server.adminToken}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.accept) headers['accept'] = options.accept;
  let status: number | null = null;
  let contentType = '';
  let text = '';
  try {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      signal: aborter.signal,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    status = res.status;
    contentType = res.headers.get('content-type') ?? '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    } catch {
      // Cut by the window or the deadline: what came is judged.
    }
    return { status, contentType, text, cut };
  } catch (error) {
    return { status, contentType, text, cut, error: String(error) };
  } finally {
    clearTimeout(deadline);
    clearTimeout(window);
  }
}
