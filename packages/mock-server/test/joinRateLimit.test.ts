import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { JOIN_PATH, PROTOCOL_VERSION } from '@lormas/protocol';
import { type MockServer, startMockServer } from '../src/index.js';
import { call, registerNode } from './support/http.js';

const MAX_FAILURES = 3;
const WINDOW_MS = 60_000;

interface JoinReply {
  status: number;
  retryAfter: string | undefined;
  body: any;
}

/**
 * Issue 15, item 2: join attempts are rate-limited. Over HTTP, against a real server whose
 * clock the test moves: an address that failed `joinMaxFailures` times within `joinWindowMs`
 * is refused with 429 and `Retry-After` until its oldest failure leaves the window, even with
 * a right code, while another address may still join.
 */
describe('the join exchange (POST /api/agent/join) under its attempt limit', () => {
  let server: MockServer;
  let clock = Date.now();
  let code: string;
  let nodeId: string;

  /**
   * One exchange from `localAddress`: every 127.0.0.0/8 address is this host's loopback, so
   * the server sees two clients where the test binds two source addresses.
   */
  const join = (joinCode: string, localAddress = '127.0.0.1', exchangeId = 'e'.repeat(22)) =>
    new Promise<JoinReply>((resolve, reject) => {
      const { hostname, port } = new URL(server.url);
      const body = JSON.stringify({ code: joinCode, exchangeId, protocolVersion: PROTOCOL_VERSION });
      const req = request({ host: hostname, port, path: JOIN_PATH, method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  /** A code of the right shape that the server never issued. */
  const guess = (n: number) => `${'g'.repeat(21)}${n}`;

  before(async () => {
    server = await startMockServer({ dashboardDir: null, now: () => clock, joinMaxFailures: MAX_FAILURES, joinWindowMs: WINDOW_MS });
    nodeId = (await registerNode(server, 'limited-node')).id;
    const issued = await call(server, 'POST', `/api/nodes/${nodeId}/join`);
    assert.equal(issued.status, 201, issued.text);
    code = issued.body.code;
  });
  after(() => server?.close());

  it('refuses wrong codes as unknown until the limit, then with 429 and Retry-After, a right code too', async () => {
    for (let n = 0; n < MAX_FAILURES; n += 1) {
      const wrong = await join(guess(n));
      assert.deepEqual([wrong.status, wrong.body.error.code, wrong.retryAfter], [403, 'JOIN_CODE_UNKNOWN', undefined]);
      clock += 1_000;
    }
    const held = await join(guess(MAX_FAILURES));
    assert.deepEqual([held.status, held.body.error.code], [429, 'TOO_MANY_ATTEMPTS']);
    assert.match(held.body.error.message, /too many failed join attempts/);
    // The oldest failure was 3 s ago: it leaves the 60 s window in 57 s.
    assert.equal(held.retryAfter, String((WINDOW_MS - MAX_FAILURES * 1_000) / 1_000));

    const right = await join(code);
    assert.deepEqual([right.status, right.body.error.code, right.retryAfter], [429, 'TOO_MANY_ATTEMPTS', '57']);
  });

  it('lets another address join meanwhile, and counts no refusal of a waiting address as a failure', async () => {
    const second = (await registerNode(server, 'other-address-node')).id;
    const issued = await call(server, 'POST', `/api/nodes/${second}/join`);
    const elsewhere = await join(issued.body.code, '127.0.0.2');
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
    assert.equal(elsewhere.body.nodeId, second);

    // The refusals while it waited did not push the wait back: it counts down with the clock.
    clock += 30_000;
    assert.equal((await join(code)).retryAfter, '27');
  });

  it('takes the right code once the oldest failure has left the window, and forgets the failures', async () => {
    clock += 27_000;
    const joined = await join(code);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.equal(joined.body.nodeId, nodeId);
    assert.match(joined.body.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

    // The success cleared the address's record: it has its whole allowance again.
    for (let n = 0; n < MAX_FAILURES; n += 1) assert.equal((await join(guess(n))).status, 403);
    assert.equal((await join(guess(MAX_FAILURES))).status, 429);
  });
});
