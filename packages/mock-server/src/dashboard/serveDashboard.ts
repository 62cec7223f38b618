import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { ServerError } from '../errors.js';
import { errorReply } from '../http/errorReply.js';
import { sendJson } from '../http/sendJson.js';
import { SECURITY_HEADERS } from './securityHeaders.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  type: string;
}

/** Reads the built dashboard (`index.html` and `assets/`) into memory; null when it is not built. */
export function loadDashboard(dir: string): Map<string, StaticFile> | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const files = new Map<string, StaticFile>();
  const add = (relative: string) => {
    const path = join(dir, relative);
    if (statSync(path).isDirectory()) return readdirSync(path).forEach((name) => add(`${relative}/${name}`));
    files.set(relative, { body: readFileSync(path), type: TYPES[extname(path)] ?? 'application/octet-stream' });
  };
  add('index.html');
  if (existsSync(join(dir, 'assets'))) add('assets');
  return files;
}

/** A refusal in the API's own error body, as every 4xx of this port is. */
function refuse(res: ServerResponse, error: ServerError): void {
  const { status, body, headers } = errorReply(error);
  sendJson(res, status, body, headers);
}

function send(res: ServerResponse, status: number, file: StaticFile, cache: string, head: boolean): void {
  res.writeHead(status, { 'content-type': file.type, 'content-length': String(file.body.length), 'cache-control': cache });
  res.end(head ? undefined : file.body);
}

/**
 * Serves the dashboard in front of the API: `/` redirects to `/dashboard/nodes`; every
 * `/dashboard/...` page path answers the one `index.html` (the page routes itself), and
 * `/dashboard/assets/...` the built files, named by content hash so they can be cached
 * for good. Everything else goes to `api`. Every answer carries the security headers.
 */
export function serveDashboard(api: RequestListener, dir: string | null): RequestListener {
  const files = dir === null ? null : loadDashboard(dir);
  const notBuilt: StaticFile = { body: Buffer.from('The dashboard is not built. Run `pnpm build` at the repository root, then restart the server.\n'), type: 'text/plain; charset=utf-8' };
  return (req: IncomingMessage, res: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const path = (req.url ?? '/').split('?')[0]!;
    const isPage = path === '/' || path === '/dashboard' || path.startsWith('/dashboard/');
    if (!isPage) return api(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, new ServerError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on the dashboard`, { headers: { allow: 'GET, HEAD' } }));
    const head = req.method === 'HEAD';
    if (path === '/' || path === '/dashboard' || path === '/dashboard/') {
      res.writeHead(302, { location: '/dashboard/nodes', 'content-length': '0' });
      return res.end();
    }
    if (!files) return send(res, 503, notBuilt, 'no-store', head);
    if (path.startsWith('/dashboard/assets/')) {
      const file = files.get(path.slice('/dashboard/'.length));
      if (!file) return refuse(res, new ServerError('NOT_FOUND', 'no such dashboard asset'));
      return send(res, 200, file, 'public, max-age=31536000, immutable', head);
    }
    return send(res, 200, files.get('index.html')!, 'no-cache', head);
  };
}
