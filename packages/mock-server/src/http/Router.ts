import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ServerError } from '../errors.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './HttpLimits.js';
import { answerIssues, readJson } from './readJson.js';

type Schema = z.ZodType | undefined;
type Output<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

/** What a route reads besides its path. The router parses both before the handler runs. */
export interface RouteSchemas<B extends Schema = undefined, Q extends Schema = undefined> {
  /** The JSON body. A route without one gets no body: reading `req` itself is a programmer's mistake. */
  body?: B;
  /**
   * The query string, as an object of strings (the first value of each name); names the
   * schema does not know are for the schema to keep, drop or refuse.
   */
  query?: Q;
}

export interface RouteContext<B = undefined, Q = undefined> {
  req: IncomingMessage;
  res: ServerResponse;
  /** Values of the pattern's `:name` segments, URL-decoded and checked. */
  params: Record<string, string>;
  url: URL;
  /** The body as the route's `body` schema parsed it. */
  body: B;
  /** The query as the route's `query` schema parsed it. */
  query: Q;
}

/** A JSON answer. A route that writes `res` itself (a stream) returns nothing. */
export interface Reply {
  status: number;
  body?: unknown;
}

export type RouteHandler<B = undefined, Q = undefined> = (ctx: RouteContext<B, Q>) => Promise<Reply | void> | Reply | void;

/** A route as the table describes it: what a client, a document or a fuzzer needs to know of it. */
export interface RouteInfo {
  method: string;
  pattern: string;
  /** Names of the pattern's `:name` segments, in order. */
  params: string[];
  body: z.ZodType | null;
  query: z.ZodType | null;
}

interface Route extends RouteInfo {
  segments: string[];
  handler: RouteHandler<any, any>;
}

export type RouterOptions = Partial<Pick<HttpLimits, 'maxBodyBytes' | 'maxJsonDepth' | 'maxPathParamChars'>>;

/** C0 controls and DEL: never part of an id or a name, and NUL ends strings in C. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A small router on `node:http`: method plus a path pattern with `:name` segments, and
 * per route the schemas of its body and query, so the table says everything a request may
 * carry. An unknown path is `NOT_FOUND`; a known path with another method is
 * `METHOD_NOT_ALLOWED`; a bad parameter, query or body is `BAD_REQUEST`.
 */
export class Router {
  private readonly table: Route[] = [];
  private readonly limits: Pick<HttpLimits, 'maxBodyBytes' | 'maxJsonDepth' | 'maxPathParamChars'>;

  constructor(options: RouterOptions = {}) {
    this.limits = {
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_HTTP_LIMITS.maxBodyBytes,
      maxJsonDepth: options.maxJsonDepth ?? DEFAULT_HTTP_LIMITS.maxJsonDepth,
      maxPathParamChars: options.maxPathParamChars ?? DEFAULT_HTTP_LIMITS.maxPathParamChars,
    };
  }

  add(method: string, pattern: string, handler: RouteHandler): this;
  add<B extends Schema = undefined, Q extends Schema = undefined>(method: string, pattern: string, schemas: RouteSchemas<B, Q>, handler: RouteHandler<Output<B>, Output<Q>>): this;
  add(method: string, pattern: string, ...rest: [RouteHandler] | [RouteSchemas<Schema, Schema>, RouteHandler<any, any>]): this {
    const [schemas, handler] = rest.length === 1 ? [{}, rest[0]] : rest;
    if (!/^[A-Z]+$/.test(method)) throw new TypeError(`Router.add: method must be an upper-case HTTP method (got "${method}")`);
    if (!pattern.startsWith('/')) throw new TypeError(`Router.add: pattern must start with "/" (got "${pattern}")`);
    if (this.table.some((route) => route.method === method && route.pattern === pattern)) throw new TypeError(`Router.add: ${method} ${pattern} is already routed`);
    const segments = pattern.split('/').filter(Boolean);
    const params = segments.filter((segment) => segment.startsWith(':')).map((segment) => segment.slice(1));
    this.table.push({ method, pattern, params, segments, body: schemas.body ?? null, query: schemas.query ?? null, handler });
    return this;
  }

  /** Every route, in the order added. */
  routes(): RouteInfo[] {
    return this.table.map(({ method, pattern, params, body, query }) => ({ method, pattern, params: [...params], body, query }));
  }

  /** Finds the route of a request; throws a `ServerError` when none fits or a parameter is bad. */
  resolve(method: string, url: URL): { route: RouteInfo; params: Record<string, string> } {
    const path = url.pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.table) {
      const raw = this.match(route.segments, path);
      if (!raw) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (const [name, value] of raw) params[name] = this.decodeParam(name, value);
      return { route, params };
    }
    const shown = url.pathname.slice(0, 200);
    if (allowed.length > 0) throw new ServerError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${shown}`, { headers: { allow: allowed.join(', ') } });
    throw new ServerError('NOT_FOUND', `no route ${method} ${shown}`);
  }

  /**
   * Runs the route of a request: parameters, then query, then body, each checked, then the
   * handler. A handler of a route without a body schema that starts reading `req` throws a
   * `TypeError` there (an `INTERNAL` answer and a log line): every body goes through its
   * route's schema, so the table stays the whole truth about what a route reads.
   */
  async dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Reply | void> {
    const { route, params } = this.resolve(req.method ?? 'GET', url);
    const { body: bodySchema, query: querySchema, handler } = route as Route;
    const query = querySchema ? parseQuery(querySchema, url.searchParams) : undefined;
    const body = bodySchema ? await readJson(req, bodySchema, this.limits) : undefined;
    const guard = (event: string | symbol) => {
      if (event === 'data' || event === 'readable') {
        throw new TypeError(`${route.method} ${route.pattern} reads the request body but declares no body schema: router.add(method, pattern, { body }, handler)`);
      }
    };
    if (!bodySchema) req.on('newListener', guard);
    try {
      return await handler({ req, res, params, url, body, query });
    } finally {
      req.off('newListener', guard);
    }
  }

  /** The raw values of `segments`' parameters when they match `path`, else null. */
  private match(segments: string[], path: string[]): [string, string][] | null {
    if (segments.length !== path.length) return null;
    const values: [string, string][] = [];
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment.startsWith(':')) values.push([segment.slice(1), path[i]!]);
      else if (segment !== path[i]) return null;
    }
    return values;
  }

  private decodeParam(name: string, raw: string): string {
    const refuse = (message: string) => new ServerError('BAD_REQUEST', message, { issues: [{ code: 'invalid_param', path: [name], message }] });
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      throw refuse(`path parameter ${name} holds a malformed percent-encoding`);
    }
    if (value.length > this.limits.maxPathParamChars) throw refuse(`path parameter ${name} may be at most ${this.limits.maxPathParamChars} characters`);
    if (CONTROL.test(value)) throw refuse(`path parameter ${name} may not hold control characters`);
    return value;
  }
}

/** The query as an object of first values, parsed with `schema`; a refusal is a `BAD_REQUEST`. */
function parseQuery(schema: z.ZodType, search: URLSearchParams): unknown {
  const first = new Map<string, string>();
  for (const [name, value] of search) if (!first.has(name)) first.set(name, value);
  // fromEntries defines own properties: a `__proto__` name is a plain key, as in JSON.parse.
  const parsed = schema.safeParse(Object.fromEntries(first));
  if (!parsed.success) throw new ServerError('BAD_REQUEST', 'the query does not match the expected parameters', { issues: answerIssues(parsed.error) });
  return parsed.data;
}
