import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { upgradeRefusal } from './upgradeRefusal.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const upgrade = (overrides: { method?: string; url?: string; headers?: Record<string, string | undefined> } = {}) =>
  ({
    method: overrides.method ?? 'GET',
    url: overrides.url ?? '/',
    headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': KEY, 'sec-websocket-version': '13', ...overrides.headers },
  }) as unknown as IncomingMessage;

describe('upgradeRefusal', () => {
  it('lets a well-formed WebSocket upgrade through, on any path, with version 13 or 8', () => {
    assert.equal(upgradeRefusal(upgrade()), null);
    assert.equal(upgradeRefusal(upgrade({ url: '/agent?token=x' })), null);
    assert.equal(upgradeRefusal(upgrade({ headers: { 'sec-websocket-version': '8', 'sec-websocket-protocol': 'a, b' } })), null);
  });

  const refusals: [string, Parameters<typeof upgrade>[0], string, number][] = [
    ['another method', { method: 'POST' }, 'METHOD_NOT_ALLOWED', 405],
    ['a target the URL parser refuses', { url: 'http://[' }, 'BAD_REQUEST', 400],
    ['the asterisk form', { url: '*' }, 'BAD_REQUEST', 400],
    ['an upgrade to another protocol', { headers: { upgrade: 'h2c' } }, 'BAD_REQUEST', 400],
    ['no key', { headers: { 'sec-websocket-key': undefined } }, 'BAD_REQUEST', 400],
    ['a key that is not 16 bytes in base64', { headers: { 'sec-websocket-key': 'short' } }, 'BAD_REQUEST', 400],
    ['no version', { headers: { 'sec-websocket-version': undefined } }, 'UPGRADE_REQUIRED', 426],
    ['another version', { headers: { 'sec-websocket-version': '7' } }, 'UPGRADE_REQUIRED', 426],
    ['a subprotocol that is no token', { headers: { 'sec-websocket-protocol': 'bad token' } }, 'BAD_REQUEST', 400],
    ['a subprotocol offered twice', { headers: { 'sec-websocket-protocol': 'a, a' } }, 'BAD_REQUEST', 400],
    ['an empty subprotocol list', { headers: { 'sec-websocket-protocol': ',' } }, 'BAD_REQUEST', 400],
  ];
  for (const [what, overrides, code, status] of refusals) {
    it(`refuses ${what} with ${code} (${status})`, () => {
      const refusal = upgradeRefusal(upgrade(overrides));
      assert.equal(refusal?.code, code);
      assert.equal(refusal?.status, status);
    });
  }

  it('names the WebSocket version it speaks when it refuses another (RFC 6455, section 4.4)', () => {
    assert.deepEqual(upgradeRefusal(upgrade({ headers: { 'sec-websocket-version': '7' } }))?.headers, { 'sec-websocket-version': '13' });
  });
});
