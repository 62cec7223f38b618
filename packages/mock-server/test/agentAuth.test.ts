import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '@lormas/protocol';
import { nextEvent, waitFor } from '@lormas/testkit';
import { type CryptoKey, generateKeyPair, importJWK, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { WebSocket } from 'ws';
import { createLogger, type MockServer, NODE_TOKEN, startMockServer } from '../src/index.js';
import { call, registerNode } from './support/http.js';
import { dialStubAgent, stubHandlers } from './support/stubAgent.js';

/** Dials like an agent without serving anything; resolves with the close code and whether any frame came first. */
async function dialRaw(wsUrl: string, token: string | null, via: 'header' | 'query' = 'header'): Promise<{ code: number; framesBeforeClose: number }> {
  const url = via === 'query' && token !== null ? `${wsUrl}/?token=${encodeURIComponent(token)}` : wsUrl;
  const headers: Record<string, string> = { [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION };
  if (via === 'header' && token !== null) headers['authorization'] = `Bearer ${token}`;
  const socket = new WebSocket(url, { headers });
  socket.on('error', () => {});
  let framesBeforeClose = 0;
  socket.on('message', () => (framesBeforeClose += 1));
  const [code] = await nextEvent<[number, Buffer]>(socket, 'close');
  return { code, framesBeforeClose };
}

describe('agent authentication on the WebSocket endpoint', () => {
  let server: MockServer;
  let clock = Date.now();
  let serverKey: CryptoKey;
  let publicJwk: string;
  let nodeId: string;
  const logLines: string[] = [];
  const tokens: string[] = [];
  const sockets: WebSocket[] = [];
  const wsUrl = () => server.url.replace(/^http/, 'ws');

  /** A token for `nodeId` like the server's, with one part changed. */
  const forge = (key: CryptoKey | Uint8Array, change: { alg?: string; typ?: string; iss?: string; aud?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: change.alg ?? NODE_TOKEN.alg, typ: change.typ ?? NODE_TOKEN.typ })
      .setIssuer(change.iss ?? NODE_TOKEN.issuer)
      .setAudience(change.aud ?? NODE_TOKEN.audience)
      .setSubject(nodeId)
      .setIssuedAt(Math.floor(clock / 1000))
      .sign(key);

  before(async () => {
    server = await startMockServer({
      tokenTtlSeconds: 60,
      now: () => clock,
      helloTimeoutMs: 2_000,
      logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
    });
    const stored = (await server.store.keys.current())!;
    publicJwk = stored.publicJwk;
    serverKey = (await importJWK(JSON.parse(stored.privateJwk) as JWK, stored.alg)) as CryptoKey;
    const node = await registerNode(server, 'auth-node');
    nodeId = node.id;
    tokens.push(node.token);
  });
  after(async () => {
    for (const socket of sockets) socket.terminate();
    await server.close();
  });

  const refusals: [string, () => Promise<string | null>][] = [
    ['no token', async () => null],
    ['text that is no JWT', async () => 'not-a-jwt'],
    ['an unsigned token (alg none)', async () => new UnsecuredJWT({ sub: nodeId }).setIssuer(NODE_TOKEN.issuer).setAudience(NODE_TOKEN.audience).setIssuedAt().encode()],
    ['an HS256 token keyed with the public key', async () => forge(new TextEncoder().encode(publicJwk), { alg: 'HS256' })],
    ['a token signed with another key', async () => forge((await generateKeyPair('EdDSA')).privateKey)],
    ['a token for another audience', async () => forge(serverKey, { aud: 'lormas-admin' })],
    ['a token from another issuer', async () => forge(serverKey, { iss: 'someone-else' })],
    ['a token of another typ', async () => forge(serverKey, { typ: 'JWT' })],
  ];
  for (const [what, make] of refusals) {
    it(`closes with 4401 Unauthorized before any RPC for ${what}`, async () => {
      const token = await make();
      if (token) tokens.push(token);
      const { code, framesBeforeClose } = await dialRaw(wsUrl(), token);
      assert.equal(code, CloseCode.Unauthorized);
      assert.equal(framesBeforeClose, 0);
    });
  }

  it('accepts a valid token in the Authorization header: the server sends its first call', async () => {
    const socket = new WebSocket(wsUrl(), { headers: { authorization: `Bearer ${tokens[0]}`, [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION } });
    sockets.push(socket);
    socket.on('error', () => {});
    const [frame] = await nextEvent<[Buffer]>(socket, 'message');
    assert.match(frame.toString(), /"hello"/);
    socket.terminate();
  });

  it('accepts a valid token in the token query parameter, as the seed agents send it', async () => {
    const socket = new WebSocket(`${wsUrl()}/agent?token=${tokens[0]}`, { headers: { [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION } });
    sockets.push(socket);
    socket.on('error', () => {});
    const [frame] = await nextEvent<[Buffer]>(socket, 'message');
    assert.match(frame.toString(), /"hello"/);
    socket.terminate();
  });

  it('closes with 4401 for an expired token, judged by the server clock', async () => {
    const node = await registerNode(server, 'expiring-node');
    tokens.push(node.token);
    clock += 61_000;
    try {
      const { code, framesBeforeClose } = await dialRaw(wsUrl(), node.token, 'query');
      assert.equal(code, CloseCode.Unauthorized);
      assert.equal(framesBeforeClose, 0);
    } finally {
      clock -= 61_000;
    }
  });

  it('closes with 4401 for the token of a revoked node', async () => {
    const node = await registerNode(server, 'revoked-before-dial');
    tokens.push(node.token);
    assert.equal((await call(server, 'DELETE', `/api/nodes/${node.id}`)).status, 200);
    const { code, framesBeforeClose } = await dialRaw(wsUrl(), node.token);
    assert.equal(code, CloseCode.Unauthorized);
    assert.equal(framesBeforeClose, 0);
  });

  it('closes a connected agent with 4403 Revoked when its node is deleted, and forgets the node', async () => {
    const node = await registerNode(server, 'revoked-while-connected');
    tokens.push(node.token);
    const socket = dialStubAgent(wsUrl(), node.token, stubHandlers('revoked-while-connected'));
    sockets.push(socket);
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${node.id}`)).body?.status === 'online', { what: 'the node online' });
    const closed = nextEvent<[number, Buffer]>(socket, 'close');
    assert.equal((await call(server, 'DELETE', `/api/nodes/${node.id}`)).status, 200);
    const [code] = await closed;
    assert.equal(code, CloseCode.Revoked);
    assert.equal((await call(server, 'GET', `/api/nodes/${node.id}`)).status, 404);
  });

  it('never writes a node token or the admin token to its log', () => {
    assert.ok(logLines.some((line) => line.includes('agent refused')), 'the refusals were logged');
    for (const secret of [...tokens, server.adminToken]) {
      for (const line of logLines) assert.ok(!line.includes(secret.slice(-24)), `log line holds a secret: ${line.slice(0, 80)}`);
    }
  });
});
