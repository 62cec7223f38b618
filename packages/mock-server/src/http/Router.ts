import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServerError } from '../errors.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Values of the pattern's `:name` segments, URL-decoded. */
  params: Record<string, string>;
  url: URL;
}

/** A JSON answer. A route that writes `res` itself (a stream) returns nothing. */
export interface Reply {
  status: number;
  body?: unknown;
}

export type RouteHandler = (ctx: RouteContext) => Promise<Reply | void> | Reply | void;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ServerError('BAD_REQUEST', 'the path holds a malformed percent-encoding');
  }
}

/** Whether `pattern`'s segments match `path`'s; fills `params` when they do. */
function match(segments: string[], path: string[], params: Record<string, string>): boolean {
  if (segments.length !== path.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeSegment(path[i]!);
    else if (segment !== path[i]) return false;
  }
  return true;
}

/**
 * A small router on `node:http`: method plus a path pattern with `:name` segments. An
 * unknown path is `NOT_FOUND`; a known path with another method is `METHOD_NOT_ALLOWED`.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** Finds the route of a request; throws a `ServerError` when none fits. */
  resolve(method: string, url: URL): { handler: RouteHandler; params: Record<string, string> } {
    const path = url.pathname.split('/').filter(Boolean);
    let pathKnown = false;
    for (const route of this.routes) {
      const params: Record<string, string> = {};
      if (!match(route.segments, path, params)) continue;
      if (route.method === method) return { handler: route.handler, params };
      pathKnown = true;
    }
    if (pathKnown) throw new ServerError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`);
    throw new ServerError('NOT_FOUND', `no route ${method} ${url.pathname}`);
  }
}
