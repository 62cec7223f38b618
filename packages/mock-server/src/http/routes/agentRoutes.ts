import { pipeline } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { JOIN_PATH, JoinRequest, type JoinRefusalCode } from '@lormas/protocol';
import { issueNodeToken } from '../../auth/issueNodeToken.js';
import type { ApiContext } from '../ApiContext.js';
import type { Router } from '../Router.js';
import { sendJson } from '../sendJson.js';

/** The paths that need no admin token: what an installer or a joining agent fetches. */
export function isPublicAgentPath(method: string, path: string): boolean {
  return (method === 'GET' && path.startsWith('/agent/')) || (method === 'POST' && path === JOIN_PATH);
}

const REFUSAL_STATUS: Record<JoinRefusalCode, number> = { JOIN_CODE_UNKNOWN: 403, JOIN_CODE_EXPIRED: 403, JOIN_CODE_USED: 403, TOO_MANY_ATTEMPTS: 429, BAD_REQUEST: 400 };
const REFUSAL_MESSAGE: Record<JoinRefusalCode, string> = {
  JOIN_CODE_UNKNOWN: 'no such join code',
  JOIN_CODE_EXPIRED: 'the join code has expired',
  JOIN_CODE_USED: 'the join code was used already',
  TOO_MANY_ATTEMPTS: 'too many failed join attempts from this address; try again later',
  BAD_REQUEST: 'the body is not a join request',
};

function refuse(res: ServerResponse, code: JoinRefusalCode, headers: Record<string, string> = {}): void {
  sendJson(res, REFUSAL_STATUS[code], { error: { code, message: REFUSAL_MESSAGE[code] } }, headers);
}

function sendText(res: ServerResponse, text: string, type: string): void {
  res.writeHead(200, { 'content-type': type, 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * What a new node fetches before it has a token: the install script, the release key, the
 * newest signed build for its kind and CPU (manifest, signature, bytes), and the join exchange
 * (`POST /api/agent/join`, the protocol's), whose failed attempts are rate-limited per address.
 */
export function agentRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/agent/install.sh', ({ res }) => sendText(res, api.installScript, 'text/x-shellscript; charset=utf-8'));

  router.add('GET', '/agent/release-key', ({ res }) => {
    const key = api.catalog.key();
    if (!key) return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'this server offers no agent builds (RELEASES_DIR with release-key.pub)' } } };
    sendText(res, `${key.publicKey}\n`, 'text/plain; charset=utf-8');
  });

  // The newest build for `js-any`, `exe-x64` or `exe-arm64`: its manifest's exact bytes, and the signature over them.
  router.add('GET', '/agent/latest/:target/:part', ({ params, res }) => {
    const target = /^(?:(js)-any|(exe)-(x64|arm64))$/.exec(params['target'] ?? '');
    const release = target ? (target[1] ? api.catalog.find(null, 'js', 'any') : api.catalog.find(null, 'exe', target[3]!)) : null;
    if (!release || (params['part'] !== 'manifest' && params['part'] !== 'signature')) {
      return { status: 404, body: { error: { code: 'NOT_FOUND', message: `no build for ${params['target']}` } } };
    }
    sendText(res, params['part'] === 'manifest' ? release.release.manifest : `${release.release.signature}\n`, 'text/plain; charset=utf-8');
  });

  router.add('GET', '/agent/builds/:sha256', ({ params, res }) => {
    const release = api.catalog.bySha256(params['sha256'] ?? '');
    if (!release) return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such build' } } };
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(release.manifest.sizeBytes), 'cache-control': 'public, max-age=31536000, immutable' });
    // pipeline closes the file when the client goes away mid-download, as pipe() would not.
    pipeline(api.catalog.open(release), res, () => {});
  });

  // The router parses the body with the protocol's schema; a body it refuses is a 400 `BAD_REQUEST` in the same shape.
  router.add('POST', JOIN_PATH, { body: JoinRequest }, async ({ req, res, body }) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const waitMs = api.joinLimiter.retryAfterMs(address);
    if (waitMs > 0) return refuse(res, 'TOO_MANY_ATTEMPTS', { 'retry-after': String(Math.ceil(waitMs / 1000)) });
    const { code, exchangeId } = body;
    const found = await api.store.joinCodes.lookup(code, exchangeId);
    if (found.kind === 'refused') {
      api.joinLimiter.failed(address);
      return refuse(res, found.reason);
    }
    const node = await api.store.nodes.get(found.nodeId);
    if (!node || node.revokedAt !== null) {
      api.joinLimiter.failed(address);
      return refuse(res, 'JOIN_CODE_UNKNOWN');
    }
    api.joinLimiter.succeeded(address);
    if (found.kind === 'repeat') return { status: 200, body: { nodeId: node.id, nodeName: node.name, token: found.token } };
    const tokenId = randomUUID();
    const token = await issueNodeToken({ nodeId: node.id, key: api.key, ttlSeconds: api.tokenTtlSeconds, now: api.now(), tokenId });
    if (!(await api.store.joinCodes.claim(code, exchangeId, token))) {
      // Another exchange took the code between the look and the claim: it may be this one's retry.
      const again = await api.store.joinCodes.lookup(code, exchangeId);
      if (again.kind === 'repeat') return { status: 200, body: { nodeId: node.id, nodeName: node.name, token: again.token } };
      return refuse(res, again.kind === 'refused' ? again.reason : 'JOIN_CODE_USED');
    }
    // The joined agent's token is the node's one valid token from now on.
    await api.store.nodes.replaceToken(node.id, tokenId);
    api.gateway.tokenReplaced(node.id);
    api.logger.info('node joined with a join code', { node: node.id, name: node.name, remote: address });
    return { status: 200, body: { nodeId: node.id, nodeName: node.name, token } };
  });
}
