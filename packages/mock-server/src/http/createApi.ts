import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAdminToken } from '../auth/isAdminToken.js';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ApiContext } from './ApiContext.js';
import { errorReply } from './errorReply.js';
import { requestUrl } from './requestUrl.js';
import { clusterRoutes } from './routes/clusterRoutes.js';
import { containerRoutes } from './routes/containerRoutes.js';
import { eventRoutes } from './routes/eventRoutes.js';
import { imageRoutes } from './routes/imageRoutes.js';
import { logRoutes } from './routes/logRoutes.js';
import { migrationRoutes } from './routes/migrationRoutes.js';
import { nodeRoutes } from './routes/nodeRoutes.js';
import { sessionRoutes } from './routes/sessionRoutes.js';
import { Router, type RouterOptions } from './Router.js';
import { sendJson } from './sendJson.js';

export interface ApiOptions {
  adminToken: string;
  logger: Logger;
  /** Decides who may call; throws a `ServerError` to refuse. @default the admin bearer token alone */
  authenticate?: (req: IncomingMessage, url: URL) => void | Promise<void>;
}

/** Every route of the API, in one router. */
export function apiRouter(api: ApiContext, options: RouterOptions = {}): Router {
  const router = new Router(options);
  nodeRoutes(router, api);
  clusterRoutes(router, api);
  containerRoutes(router, api);
  imageRoutes(router, api);
  logRoutes(router, api);
  migrationRoutes(router, api);
  eventRoutes(router, api);
  sessionRoutes(router, api);
  return router;
}

/** HTTP/1.1 requires `Host` (RFC 9112, section 3.2); Node's own refusal has no JSON body, so the check is made here. */
function checkHost(req: IncomingMessage): void {
  if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && req.headers.host === undefined) {
    throw new ServerError('BAD_REQUEST', 'an HTTP/1.1 request needs a Host header');
  }
}

/**
 * The HTTP request handler: the request-target, who may call (the admin bearer token
 * unless `authenticate` says otherwise), the route, and one error shape, `{ error: { code, message, issues? } }`, for every failure.
 * Nothing a request carries can throw out of it.
 */
export function createApi(router: Router, options: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = Date.now();
    // Only the path is logged: query strings are the caller's business.
    let path = '(malformed)';
    res.once('finish', () => options.logger.debug('http', { method: req.method, path, status: res.statusCode, ms: Date.now() - started }));
    const handle = async () => {
      const url = requestUrl(req.url);
      path = url.pathname.slice(0, 200);
      checkHost(req);
      if (options.authenticate) await options.authenticate(req, url);
      else if (!isAdminToken(req.headers.authorization, options.adminToken)) {
        throw new ServerError('UNAUTHORIZED', 'an admin bearer token is required: Authorization: Bearer <ADMIN_TOKEN>');
      }
      const reply = await router.dispatch(req, res, url);
      if (reply) sendJson(res, reply.status, reply.body);
    };
    handle().catch((error: unknown) => {
      const { status, body, headers: asked, internal } = errorReply(error);
      // RFC 9110, section 11.6.1: a 401 names the scheme it wants, whoever refused.
      const headers = status === 401 ? { 'www-authenticate': 'Bearer', ...asked } : asked;
      if (internal) options.logger.error('request failed', { method: req.method, path, error: error instanceof Error ? error.message : String(error) });
      // A body left unread is never read: closing is cheaper than draining what may be a gigabyte.
      sendJson(res, status, body, req.complete ? headers : { ...headers, connection: 'close' });
    });
  };
}
