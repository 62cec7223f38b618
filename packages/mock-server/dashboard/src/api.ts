import type { ApiRoutes, ErrorView } from '../../src/http/apiTypes.js';

/** `"POST /api/containers/:id/stop"` → `{ id: string }`. */
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? Name | ParamNames<Rest> : P extends `${string}:${infer Name}` ? Name : never;
type PathOf<R extends string> = R extends `${string} ${infer Path}` ? Path : never;

export type CallOptions<R extends keyof ApiRoutes> = ([ParamNames<PathOf<R>>] extends [never] ? { params?: undefined } : { params: Record<ParamNames<PathOf<R>>, string> }) &
  (ApiRoutes[R]['body'] extends undefined ? { body?: undefined } : { body: ApiRoutes[R]['body'] }) & { accept?: string; signal?: AbortSignal };

/** An answer that was not a success, with the server's code (and a guard rail's rule). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly rule: string | undefined = undefined,
    readonly issues: ErrorView['error']['issues'] = undefined,
  ) {
    super(message);
  }

  /** One line for the page: the message, the rule a guard rail named, the first issue. */
  describe(): string {
    const issue = this.issues?.[0];
    return `${this.message}${this.rule ? ` (rule: ${this.rule})` : ''}${issue ? ` — ${issue.path.join('.')}: ${issue.message}` : ''} [${this.code}]`;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** What to do when the session is gone (expired, signed out elsewhere, admin token changed). */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

function pathOf(route: string, params: Record<string, string> | undefined): { method: string; path: string } {
  const [method, pattern] = route.split(' ') as [string, string];
  const path = pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params?.[name] ?? ''));
  return { method, path };
}

/** Sends one call with the session cookie and, for a call that changes something, the CSRF header. */
export async function send<R extends keyof ApiRoutes>(route: R, options: CallOptions<R>, query = ''): Promise<Response> {
  const { method, path } = pathOf(route, options.params as Record<string, string> | undefined);
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path + query, {
    method,
    headers,
    credentials: 'same-origin',
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!res.ok) throw await errorOf(res, route);
  return res;
}

async function errorOf(res: Response, route: string): Promise<ApiError> {
  let body: Partial<ErrorView> = {};
  try {
    body = (await res.json()) as ErrorView;
  } catch {
    // Not JSON: the status says enough.
  }
  const error = new ApiError(res.status, body.error?.code ?? `HTTP_${res.status}`, body.error?.message ?? res.statusText, body.error?.rule, body.error?.issues);
  if (res.status === 401 && route !== 'POST /api/session') onUnauthorized();
  return error;
}

/** A JSON call, typed by the server's own route map. */
export async function api<R extends keyof ApiRoutes>(route: R, options: CallOptions<R>, query = ''): Promise<ApiRoutes[R]['reply']> {
  const res = await send(route, options, query);
  return (await res.json()) as ApiRoutes[R]['reply'];
}

/** Reads an NDJSON answer line by line (streamed creation, with pull progress). */
export async function* ndjsonLines(res: Response): AsyncGenerator<unknown> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer);
}
