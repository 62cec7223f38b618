/**
 * What one HTTP client may make the server hold or wait for. Each is checked before the
 * memory is spent: a body over its limit is refused from its declared length or as soon as
 * it grows past it, never buffered whole; headers over theirs are refused by Node's parser.
 */
export interface HttpLimits {
  /**
   * Largest accepted request body (JSON). A bigger one is a 413 `PAYLOAD_TOO_LARGE`, and the
   * connection is closed, so the rest of it is never read.
   * @default 1 MiB (bytes)
   */
  maxBodyBytes: number;
  /**
   * Deepest nesting of arrays and objects in a JSON body; deeper is a 400 `BAD_REQUEST`.
   * No body of the API nests past 5; the limit keeps recursive code (zod, `JSON.stringify`)
   * off a million-level body that fits in `maxBodyBytes`.
   * @default 32 (levels)
   */
  maxJsonDepth: number;
  /**
   * Request line and headers together (Node's `maxHeaderSize`); more is a 431
   * `HEADERS_TOO_LARGE` and a closed connection. It also bounds the URL.
   * @default 16 KiB (bytes)
   */
  maxHeaderBytes: number;
  /**
   * Longest decoded path parameter (`:id`); longer is a 400 `BAD_REQUEST`. Ids and names of
   * the API are at most 128 characters.
   * @default 256 (characters)
   */
  maxPathParamChars: number;
  /**
   * A client must send the whole request line and headers this soon after it connects or
   * after its previous request; else a 408 `REQUEST_TIMEOUT` and a closed connection
   * (Node's `headersTimeout`). Agents' upgrade requests are held to it too.
   * @default 10_000 (milliseconds)
   */
  headersTimeoutMs: number;
  /**
   * A client must send the whole request, body included, this soon (Node's
   * `requestTimeout`); else a 408 and a closed connection. Answers that stream (logs,
   * progress) are not limited by it. At least `headersTimeoutMs`.
   * @default 30_000 (milliseconds)
   */
  requestTimeoutMs: number;
  /**
   * How often Node checks open connections against the two timeouts above, so a timeout
   * fires up to this much late (Node's `connectionsCheckingInterval`).
   * @default 1_000 (milliseconds)
   */
  connectionsCheckingIntervalMs: number;
  /**
   * An idle keep-alive connection is closed after this long without a new request (Node's
   * `keepAliveTimeout`; Node waits one second more before it destroys the socket).
   * @default 5_000 (milliseconds)
   */
  keepAliveTimeoutMs: number;
  /**
   * Requests one keep-alive connection may carry; the last is answered with
   * `Connection: close` (Node's `maxRequestsPerSocket`). Pipelined requests past it get a 503.
   * @default 1_000 (requests)
   */
  maxRequestsPerSocket: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxJsonDepth: 32,
  maxHeaderBytes: 16 * 1024,
  maxPathParamChars: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  connectionsCheckingIntervalMs: 1_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerSocket: 1_000,
});

/**
 * The limits with defaults filled in. A value that is not a positive whole number, or a
 * `headersTimeoutMs` above `requestTimeoutMs`, is a programmer's mistake: a `TypeError`
 * naming the option, at start-up.
 */
export function httpLimits(options: Partial<HttpLimits> = {}, owner = 'startMockServer'): HttpLimits {
  const limits = { ...DEFAULT_HTTP_LIMITS };
  for (const name of Object.keys(DEFAULT_HTTP_LIMITS) as (keyof HttpLimits)[]) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${owner}: ${name} must be a positive whole number (got ${String(value)})`);
    limits[name] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new TypeError(`${owner}: headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
  return limits;
}
