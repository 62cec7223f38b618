import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { Store } from '../store/Store.js';
import { issueNodeToken } from './issueNodeToken.js';
import { loadSigningKey, type SigningKey } from './signingKey.js';
import { TokenError, type TokenErrorCodeName } from './TokenError.js';
import { NODE_TOKEN } from './tokenFormat.js';
import { type NodeStanding, verifyNodeToken } from './verifyNodeToken.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const standings: Record<string, NodeStanding> = { 'node-a': 'active', 'node-r': 'revoked' };
/** Node `node-t` has had its token replaced: only the token with id `current` is valid. */
const standingOf = (nodeId: string, tokenId?: string) => (nodeId === 'node-t' ? (tokenId === 'current' ? 'active' : 'replaced') : (standings[nodeId] ?? 'unknown'));

async function refusal(token: string, key: SigningKey, currentDate = new Date(NOW)): Promise<TokenError> {
  return verifyNodeToken(token, { key, standingOf, currentDate }).then(
    () => assert.fail('expected the token to be refused'),
    (error: unknown) => {
      assert.ok(error instanceof TokenError, String(error));
      return error;
    },
  );
}

/** A token like the server's, with one part changed by `change`. */
async function forged(key: CryptoKey, change: { alg?: string; typ?: string; iss?: string; aud?: string } = {}) {
  return new SignJWT({})
    .setProtectedHeader({ alg: change.alg ?? NODE_TOKEN.alg, typ: change.typ ?? NODE_TOKEN.typ })
    .setIssuer(change.iss ?? NODE_TOKEN.issuer)
    .setAudience(change.aud ?? NODE_TOKEN.audience)
    .setSubject('node-a')
    .setIssuedAt(Math.floor(NOW / 1000))
    .sign(key);
}

describe('verifyNodeToken', () => {
  let key: SigningKey;
  before(async () => {
    const store = new Store({ dataDir: null });
    key = await loadSigningKey(store.keys);
    store.close();
  });

  it('accepts a token it issued and returns the node id as subject', async () => {
    const token = await issueNodeToken({ nodeId: 'node-a', key, now: NOW, ttlSeconds: 60 });
    const verified = await verifyNodeToken(token, { key, standingOf, currentDate: new Date(NOW + 1_000) });
    assert.deepEqual({ ...verified, tokenId: typeof verified.tokenId }, { nodeId: 'node-a', tokenId: 'string', issuedAt: NOW / 1000, expiresAt: NOW / 1000 + 60 });
  });

  it('accepts a token without expiry', async () => {
    const token = await issueNodeToken({ nodeId: 'node-a', key, now: NOW });
    assert.equal((await verifyNodeToken(token, { key, standingOf })).expiresAt, null);
  });

  const cases: [string, () => Promise<string>, TokenErrorCodeName, string?][] = [
    ['a missing token', async () => '', 'TOKEN_MISSING'],
    ['text that is no JWT', async () => 'not.a.jwt', 'TOKEN_MALFORMED'],
    ['an unsigned token (alg none)', async () => new UnsecuredJWT({ sub: 'node-a', iat: 1 }).setIssuer(NODE_TOKEN.issuer).setAudience(NODE_TOKEN.audience).encode(), 'TOKEN_ALGORITHM'],
    ['an HS256 token keyed with the public key (algorithm confusion)', async () => forged(new TextEncoder().encode(JSON.stringify(await exportJWK(key.publicKey))) as never, { alg: 'HS256' }), 'TOKEN_ALGORITHM'],
    ['an ES256 token', async () => forged((await generateKeyPair('ES256')).privateKey, { alg: 'ES256' }), 'TOKEN_ALGORITHM'],
    ['an EdDSA token signed with another key', async () => forged((await generateKeyPair('EdDSA')).privateKey), 'TOKEN_SIGNATURE'],
    ['a token for another audience', async () => forged(key.privateKey, { aud: 'someone-else' }), 'TOKEN_CLAIM', 'aud'],
    ['a token from another issuer', async () => forged(key.privateKey, { iss: 'someone-else' }), 'TOKEN_CLAIM', 'iss'],
    ['a token of another typ', async () => forged(key.privateKey, { typ: 'JWT' }), 'TOKEN_CLAIM', 'typ'],
    ['an expired token', async () => issueNodeToken({ nodeId: 'node-a', key, now: NOW - 120_000, ttlSeconds: 60 }), 'TOKEN_EXPIRED'],
    ['the token of a revoked node', async () => issueNodeToken({ nodeId: 'node-r', key, now: NOW }), 'TOKEN_REVOKED'],
    ['the token of an unknown node', async () => issueNodeToken({ nodeId: 'node-x', key, now: NOW }), 'TOKEN_UNKNOWN_NODE'],
    ['a token a newer one of its node replaced', async () => issueNodeToken({ nodeId: 'node-t', key, now: NOW, tokenId: 'earlier' }), 'TOKEN_REPLACED'],
  ];
  for (const [what, make, code, claim] of cases) {
    it(`refuses ${what} with ${code}`, async () => {
      const error = await refusal(await make(), key);
      assert.equal(error.code, code);
      if (claim) assert.equal(error.claim, claim);
    });
  }

  it("accepts the node's current token and returns its id", async () => {
    const token = await issueNodeToken({ nodeId: 'node-t', key, now: NOW, tokenId: 'current' });
    assert.equal((await verifyNodeToken(token, { key, standingOf })).tokenId, 'current');
  });

  it('judges expiry by the injected clock', async () => {
    const token = await issueNodeToken({ nodeId: 'node-a', key, now: NOW, ttlSeconds: 60 });
    await verifyNodeToken(token, { key, standingOf, currentDate: new Date(NOW + 59_000) });
    assert.equal((await refusal(token, key, new Date(NOW + 61_000))).code, 'TOKEN_EXPIRED');
  });
});
