import { z } from 'zod';
import { clearedSessionCookie, sessionCookie } from '../../auth/sessionCookie.js';
import { requestSessions, sameOrigin } from '../../auth/authenticateRequest.js';
import { isAdminToken } from '../../auth/isAdminToken.js';
import type { Session } from '../../auth/Sessions.js';
import { ServerError } from '../../errors.js';
import { agentUrl, type ApiContext } from '../ApiContext.js';
import type { SessionView } from '../apiTypes.js';
import type { Router } from '../Router.js';

export const SignIn = z.strictObject({ token: z.string().min(1).max(4_096) });

/** Whether the router has a route, so the page offers only what this server does. */
function hasRoute(router: Router, method: string, path: string): boolean {
  try {
    router.resolve(method, new URL(path, 'http://api.invalid'));
    return true;
  } catch {
    return false;
  }
}

/** Dashboard sign-in and sign-out: the admin token, once, in a POST body; a cookie from then on. */
export function sessionRoutes(router: Router, api: ApiContext): void {
  const view = (session: Session): SessionView => ({
    csrfToken: session.csrfToken,
    expiresAt: new Date(session.expiresAt).toISOString(),
    features: { rotateNodeToken: hasRoute(router, 'POST', '/api/nodes/n/token') },
    agentUrl: agentUrl(api),
  });

  router.add('POST', '/api/session', { body: SignIn }, async ({ req, res, body }) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const waitMs = api.signIn.retryAfterMs(address);
    if (waitMs > 0) {
      res.setHeader('retry-after', String(Math.ceil(waitMs / 1000)));
      throw new ServerError('TOO_MANY_REQUESTS', `too many failed sign-ins; try again in ${Math.ceil(waitMs / 1000)} s`);
    }
    if (!sameOrigin(req)) throw new ServerError('FORBIDDEN', 'sign in from the dashboard\'s own origin');
    const { token } = body;
    // The same constant-time check as a bearer token.
    if (!isAdminToken(`Bearer ${token}`, api.adminToken)) {
      api.signIn.failed(address);
      throw new ServerError('UNAUTHORIZED', 'that is not the admin token');
    }
    api.signIn.succeeded(address);
    const session = await api.sessions.open();
    res.setHeader('set-cookie', sessionCookie(session.id, api.sessions.sessionTtlMs));
    return { status: 201, body: view(session) };
  });

  router.add('GET', '/api/session', ({ req }) => {
    const session = requestSessions.get(req);
    if (!session) throw new ServerError('NOT_FOUND', 'this call came with a bearer token, not a session');
    return { status: 200, body: view(session) };
  });

  router.add('DELETE', '/api/session', async ({ req, res }) => {
    const session = requestSessions.get(req);
    if (session) await api.sessions.close(session.id);
    res.setHeader('set-cookie', clearedSessionCookie());
    return { status: 200, body: { signedOut: true } };
  });
}
