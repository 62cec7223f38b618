/** A JSON call to the mock server's API, with the admin token unless another is given. */
export async function call(
  server: { url: string; adminToken: string },
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; accept?: string } = {},
): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? server.adminToken : options.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.accept) headers['accept'] = options.accept;
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // NDJSON or SSE: read `text`.
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** Registers a node and returns its id and token. */
export async function registerNode(server: { url: string; adminToken: string }, name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const res = await call(server, 'POST', '/api/nodes', { body: { name, ...extra } });
  if (res.status !== 201) throw new Error(`registering ${name} answered ${res.status}: ${res.text}`);
  return res.body as { id: string; token: string };
}

/** The NDJSON lines of a streamed answer, parsed. */
export function ndjson(text: string): any[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

/**
 * Reads a streamed answer's body to its end (or until the request is aborted), handing over
 * each piece between `separator`s: lines of NDJSON, blocks of Server-Sent Events.
 */
export async function forEachPart(body: unknown, separator: string, onPart: (part: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let split: number;
      while ((split = buffer.indexOf(separator)) >= 0) {
        const part = buffer.slice(0, split);
        buffer = buffer.slice(split + separator.length);
        onPart(part);
      }
    }
  } catch {
    // Aborted by the test.
  }
}
