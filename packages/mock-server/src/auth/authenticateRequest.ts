import type { IncomingMessage } from 'node:http';
import { ServerError } from '../errors.js';
import { isAdminToken } from './isAdminToken.js';
import { readSessionCookie } from './sessionCookie.js';
import { sameSecret, type Session, type Sessions } from './Sessions.js';

/** Methods that change nothing; every other method needs the CSRF header with a cookie. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session each authenticated request came with, for the session routes. */
export const requestSessions = new WeakMap<IncomingMessage, Session>();

/** Whether an `Origin` header, when present, names this server (the `Host` the browser used). */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Who may call the API: `Authorization: Bearer <ADMIN_TOKEN>` (curl, scripts), or a
 * dashboard session cookie. A cookie is sent by the browser on its own, so a call that
 * changes something must also carry the session's `X-CSRF-Token`, which only a page of this
 * origin can read, and must not come from another origin. Signing in needs neither.
 */
export function createRequestAuthenticator(options: { adminToken: string; sessions: Sessions }) {
  return async (req: IncomingMessage, url: URL): Promise<void> => {
    if (req.method === 'POST' && url.pathname === '/api/session') return;
    if (req.headers.authorization !== undefined) {
      if (!isAdminToken(req.headers.authorization, options.adminToken)) {
        throw new ServerError('UNAUTHORIZED', 'an admin bearer token is required: Authorization: Bearer <ADMIN_TOKEN>');
      }
      return;
    }
    const id = readSessionCookie(req);
    const session = id === null ? null : await options.sessions.verify(id);
    if (!session) throw new ServerError('UNAUTHORIZED', 'sign in, or send an admin bearer token: Authorization: Bearer <ADMIN_TOKEN>');
    if (!sameOrigin(req)) throw new ServerError('FORBIDDEN', 'a session may only be used from the dashboard\'s own origin');
    if (!SAFE_METHODS.has(req.method ?? 'GET')) {
      const given = req.headers['x-csrf-token'];
      if (typeof given !== 'string' || !sameSecret(given, session.csrfToken)) throw new ServerError('FORBIDDEN', 'this call needs the session\'s X-CSRF-Token header');
    }
    requestSessions.set(req, session);
  };
}
