import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAdminToken } from '../auth/isAdminToken.js';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ApiContext } from './ApiContext.js';
import { errorReply } from './errorReply.js';
import { clusterRoutes } from './routes/clusterRoutes.js';
import { containerRoutes } from './routes/containerRoutes.js';
import { eventRoutes } from './routes/eventRoutes.js';
import { imageRoutes } from './routes/imageRoutes.js';
import { logRoutes } from './routes/logRoutes.js';
import { migrationRoutes } from './routes/migrationRoutes.js';
import { nodeRoutes } from './routes/nodeRoutes.js';
import { sessionRoutes } from './routes/sessionRoutes.js';
import { Router } from './Router.js';
import { sendJson } from './sendJson.js';

export interface ApiOptions {
  adminToken: string;
  logger: Logger;
  /** Decides who may call; throws a `ServerError` to refuse. @default the admin bearer token alone */
  authenticate?: (req: IncomingMessage, url: URL) => void | Promise<void>;
}

/** Every route of the API, in one router. */
export function apiRouter(api: ApiContext): Router {
  const router = new Router();
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

/**
 * The HTTP request handler: admin bearer token on every call, the route, and one error
 * shape, `{ error: { code, message, issues? } }`, for every failure.
 */
export function createApi(router: Router, options: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = Date.now();
    // Only the path is logged: query strings are the caller's business.
    const url = new URL(req.url ?? '/', 'http://api.invalid');
    res.once('finish', () => options.logger.debug('http', { method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started }));
    const handle = async () => {
      if (options.authenticate) await options.authenticate(req, url);
      else if (!isAdminToken(req.headers.authorization, options.adminToken)) {
        throw new ServerError('UNAUTHORIZED', 'an admin bearer token is required: Authorization: Bearer <ADMIN_TOKEN>');
      }
      const { handler, params } = router.resolve(req.method ?? 'GET', url);
      const reply = await handler({ req, res, params, url });
      if (reply) sendJson(res, reply.status, reply.body);
    };
    handle().catch((error: unknown) => {
      const { status, body, internal } = errorReply(error);
      if (internal) options.logger.error('request failed', { method: req.method, path: url.pathname, error: error instanceof Error ? error.message : String(error) });
      sendJson(res, status, body, status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    });
  };
}
