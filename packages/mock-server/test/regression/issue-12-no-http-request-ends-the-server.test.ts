import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type MockServer, startMockServer } from '../../src/index.js';
import { call } from '../support/http.js';
import { type Exchange, exchange, type RawResponse } from '../support/rawHttp.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The documented error body of an answer, parsed. */
const errorOf = (response: RawResponse | undefined) => (JSON.parse(response?.body.toString() ?? 'null') as { error: { code: string; message: string } } | null)?.error;

describe('issue 12: no HTTP request ends the mock server', () => {
  let server: MockServer;
  /** Sends `text` and waits for the answers; with `close`, for the server to close too (up to `timeoutMs`). */
  const send = (text: string, options: { methods?: string[]; timeoutMs?: number; end?: boolean; close?: boolean } = {}): Promise<Exchange> =>
    exchange({ port: server.port, payload: Buffer.from(text, 'latin1'), methods: options.methods ?? ['GET'], timeoutMs: options.timeoutMs ?? 3_000, endAfterPayload: options.end, waitForClose: options.close });
  const auth = () => `Authorization: Bearer ${server.adminToken}\r\n`;

  before(async () => {
    server = await startMockServer({ maxBodyBytes: 1_024, maxHeaderBytes: 4_096, headersTimeoutMs: 300, requestTimeoutMs: 600, connectionsCheckingIntervalMs: 50, keepAliveTimeoutMs: 200, maxRequestsPerSocket: 3 });
  });
  after(() => server.close());

  /** Every case ends with this: the server still answers. */
  const stillAnswers = async () => assert.equal((await call(server, 'GET', '/api/nodes')).status, 200);

  it('answers GET http://[ (which ended the server) with a 400 and the error body, and goes on answering', async () => {
    const { responses } = await send('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(responses[0]?.status, 400);
    assert.equal(errorOf(responses[0])?.code, 'BAD_REQUEST');
    await stillAnswers();
  });

  it('serves an absolute-form request-target by its path', async () => {
    const { responses } = await send(`GET http://127.0.0.1/api/nodes HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
    assert.equal(responses[0]?.status, 200);
  });

  it('answers a raw NUL in the target, a %00 in a parameter and a malformed percent-encoding with 400', async () => {
    for (const target of ['/api/nodes/a\u0000b', '/api/nodes/a%00b', '/api/nodes/%E0%A4%A', '/api/nodes/%']) {
      const { responses } = await send(`GET ${target} HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
      assert.equal(responses[0]?.status, 400, target);
      assert.equal(errorOf(responses[0])?.code, 'BAD_REQUEST', target);
    }
    await stillAnswers();
  });

  it('answers headers over maxHeaderBytes with 431 HEADERS_TOO_LARGE and closes', async () => {
    const result = await send(`GET /api/nodes HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(5_000)}\r\n\r\n`, { close: true });
    assert.equal(result.responses[0]?.status, 431);
    assert.equal(errorOf(result.responses[0])?.code, 'HEADERS_TOO_LARGE');
    assert.equal(result.closed, true);
  });

  it('answers a declared body over maxBodyBytes with 413 before reading it, and closes', async () => {
    const result = await send(`POST /api/clusters HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"name":`, { methods: ['POST'], close: true });
    assert.equal(result.responses[0]?.status, 413);
    assert.equal(errorOf(result.responses[0])?.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(result.responses[0]?.headers['connection'], 'close');
    assert.equal(result.closed, true);
  });

  it('answers invalid JSON, a non-object and a __proto__ key with 400', async () => {
    for (const body of ['{"name":', '[1]', '{"name":"x","__proto__":{"admin":true}}']) {
      const { responses } = await send(`POST /api/clusters HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, { methods: ['POST'] });
      assert.equal(responses[0]?.status, 400, body);
      assert.equal(errorOf(responses[0])?.code, 'BAD_REQUEST', body);
    }
    assert.equal(({} as Record<string, unknown>)['admin'], undefined);
  });

  it('answers an HTTP/1.1 request without Host with 400 and the error body', async () => {
    const { responses } = await send(`GET /api/nodes HTTP/1.1\r\n${auth()}\r\n`);
    assert.equal(responses[0]?.status, 400);
    assert.equal(errorOf(responses[0])?.code, 'BAD_REQUEST');
  });

  it("answers what Node's parser refuses (a header without a colon, both lengths) with 400 and the error body", async () => {
    for (const text of [`GET /api/nodes HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n`, `POST /api/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`]) {
      const result = await send(text, { close: true });
      assert.equal(result.responses[0]?.status, 400, text);
      assert.equal(errorOf(result.responses[0])?.code, 'BAD_REQUEST');
      assert.equal(result.closed, true);
    }
  });

  it('answers CONNECT with 405 and an Expect other than 100-continue with 417, each with the error body', async () => {
    const connect = await send('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    assert.equal(connect.responses[0]?.status, 405);
    assert.equal(errorOf(connect.responses[0])?.code, 'METHOD_NOT_ALLOWED');
    const expect = await send(`GET /api/nodes HTTP/1.1\r\nHost: x\r\n${auth()}Expect: magic\r\n\r\n`);
    assert.equal(expect.responses[0]?.status, 417);
    assert.equal(errorOf(expect.responses[0])?.code, 'EXPECTATION_FAILED');
  });

  describe('upgrade requests on the agent endpoint', () => {
    const upgrade = (headers: string, method = 'GET') => send(`${method} /agent HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n${headers}\r\n`, { methods: [method] });

    it('refuses an upgrade without a key with 400 and the error body, before ws sees it', async () => {
      const result = await send('GET /agent HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n', { close: true });
      assert.equal(result.responses[0]?.status, 400);
      assert.equal(errorOf(result.responses[0])?.code, 'BAD_REQUEST');
      assert.equal(result.closed, true);
    });

    it('refuses another WebSocket version with 426, naming version 13', async () => {
      const { responses } = await upgrade(`Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 7\r\n`);
      assert.equal(responses[0]?.status, 426);
      assert.equal(responses[0]?.headers['sec-websocket-version'], '13');
      assert.equal(errorOf(responses[0])?.code, 'UPGRADE_REQUIRED');
    });

    it('refuses an upgrade to another protocol, and one with another method', async () => {
      assert.equal((await upgrade('Upgrade: h2c\r\n')).responses[0]?.status, 400);
      assert.equal((await upgrade(`Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`, 'POST')).responses[0]?.status, 405);
    });

    it('upgrades a well-formed request, and the hub then refuses it for want of a token', async () => {
      const { responses } = await upgrade(`Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`);
      assert.equal(responses[0]?.status, 101);
      await stillAnswers();
    });
  });

  describe('slow clients', () => {
    it('answers a client that sends nothing with 408 once headersTimeoutMs passed, and closes', async () => {
      const started = Date.now();
      const result = await send('', { timeoutMs: 5_000, close: true });
      const elapsed = Date.now() - started;
      assert.equal(result.timedOut, false, 'the idle connection stayed open');
      assert.equal(result.responses[0]?.status, 408);
      assert.equal(errorOf(result.responses[0])?.code, 'REQUEST_TIMEOUT');
      assert.ok(elapsed >= 250 && elapsed < 2_000, `closed after ${elapsed} ms`);
    });

    it('answers a client whose headers trickle in with 408 after headersTimeoutMs', async () => {
      const result = await send('GET /api/nodes HTTP/1.1\r\nHost: x\r\n', { timeoutMs: 5_000, close: true });
      assert.equal(result.responses[0]?.status, 408);
      assert.equal(result.closed, true);
    });

    it('answers a client whose body stops short with 408 after requestTimeoutMs, and closes', async () => {
      const started = Date.now();
      const result = await send(`POST /api/clusters HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`, { methods: ['POST'], timeoutMs: 5_000, close: true });
      const elapsed = Date.now() - started;
      assert.equal(result.responses[0]?.status, 408);
      assert.equal(errorOf(result.responses[0])?.code, 'REQUEST_TIMEOUT');
      assert.equal(result.closed, true);
      assert.ok(elapsed >= 500 && elapsed < 3_000, `closed after ${elapsed} ms`);
      await stillAnswers();
    });

    it('answers a body cut off by the client with 400, or closes', async () => {
      const result = await send(`POST /api/clusters HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`, { methods: ['POST'], end: true, timeoutMs: 5_000 });
      assert.equal(result.timedOut, false);
      for (const response of result.responses) assert.equal(response.status, 400);
      await stillAnswers();
    });

    it('closes an idle keep-alive connection after keepAliveTimeoutMs (Node adds one second)', async () => {
      const started = Date.now();
      const result = await exchange({ port: server.port, payload: Buffer.from(`GET /api/nodes HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`), methods: ['GET'], timeoutMs: 5_000, waitForClose: true });
      assert.equal(result.responses[0]?.status, 200);
      assert.equal(result.closed, true);
      assert.ok(Date.now() - started < 3_000, `closed after ${Date.now() - started} ms`);
    });

    it('closes a keep-alive connection after maxRequestsPerSocket requests', async () => {
      const request = `GET /api/nodes HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`;
      const result = await exchange({ port: server.port, payload: Buffer.from(request.repeat(3)), methods: ['GET', 'GET', 'GET'], timeoutMs: 5_000, waitForClose: true });
      assert.deepEqual(result.responses.map((response) => response.status), [200, 200, 200]);
      assert.equal(result.responses[2]?.headers['connection'], 'close');
      assert.equal(result.closed, true);
    });
  });
});
