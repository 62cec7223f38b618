import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The HTTP origin of the server the agent dials: `ws://host:port/...` is `http://host:port`,
 * `wss://` is `https://`. The join exchange and build downloads go there and nowhere else.
 */
export function serverOrigin(serverUrl: string): URL {
  const url = new URL(serverUrl);
  return new URL(`${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}/`);
}

export interface ServerRequestOptions {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** The CAs a `https://` server is checked against; the runtime's default store when absent. */
  ca?: string[];
  /** The request fails when no answer head arrives within this, or the answer stalls this long. */
  timeoutMs: number;
}

/**
 * One request to the server's own origin. Redirects are not followed: an answer that points
 * elsewhere is just an answer, so nothing the server says sends the agent to another host.
 */
export function requestServer(url: URL, options: ServerRequestOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: options.method,
      headers: { ...(options.body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
      ...(options.ca ? { ca: options.ca } : {}),
    });
    req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer from ${url.origin} within ${options.timeoutMs} ms`)));
    req.once('error', reject);
    req.once('response', (res) => {
      res.on('error', () => undefined);
      resolve(res);
    });
    req.end(options.body);
  });
}

/** Reads an answer's body as text, up to `maxBytes` (more is an error: a peer cannot make the agent hold more). */
export async function readBody(res: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      res.destroy();
      throw new Error(`the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
