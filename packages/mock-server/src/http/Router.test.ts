import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { ServerError } from '../errors.js';
import type { LogFields, Logger } from '../logger.js';
import { createApi } from './createApi.js';
import { Router } from './Router.js';

const url = (path: string) => new URL(path, 'http://x');

function refusal(fn: () => unknown): ServerError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ServerError, String(error));
    return error;
  }
  return assert.fail('expected a ServerError');
}

describe('Router', () => {
  const list = () => ({ status: 200 });
  const show = () => ({ status: 200 });
  const Rename = z.strictObject({ name: z.string() });
  const router = new Router({ maxPathParamChars: 10 })
    .add('GET', '/api/containers', list)
    .add('GET', '/api/containers/:id', show)
    .add('PATCH', '/api/containers/:id', { body: Rename }, show)
    .add('DELETE', '/api/containers/:id', show);

  it('matches a pattern and decodes its parameters', () => {
    const found = router.resolve('GET', url('/api/containers/web%201?x=1'));
    assert.equal(found.route.pattern, '/api/containers/:id');
    assert.deepEqual(found.params, { id: 'web 1' });
  });

  it('ignores a trailing slash', () => {
    assert.equal(router.resolve('GET', url('/api/containers/')).route.pattern, '/api/containers');
  });

  it('answers NOT_FOUND (404) for an unknown path', () => {
    const error = refusal(() => router.resolve('GET', url('/api/nothing')));
    assert.equal(error.code, 'NOT_FOUND');
    assert.equal(error.status, 404);
  });

  it('answers METHOD_NOT_ALLOWED (405) for a known path with another method, naming the allowed ones', () => {
    const error = refusal(() => router.resolve('PUT', url('/api/containers/abc')));
    assert.equal(error.code, 'METHOD_NOT_ALLOWED');
    assert.equal(error.status, 405);
    assert.deepEqual(error.headers, { allow: 'GET, PATCH, DELETE' });
  });

  it('answers BAD_REQUEST for a malformed percent-encoding instead of throwing a URIError', () => {
    assert.equal(refusal(() => router.resolve('GET', url('/api/containers/%E0%A4%A'))).code, 'BAD_REQUEST');
  });

  it('answers BAD_REQUEST for a parameter holding a NUL or another control character', () => {
    for (const raw of ['a%00b', '%0A', '%7F']) {
      const error = refusal(() => router.resolve('GET', url(`/api/containers/${raw}`)));
      assert.equal(error.code, 'BAD_REQUEST', raw);
      assert.deepEqual(error.issues?.[0]?.path, ['id']);
    }
  });

  it('answers BAD_REQUEST for a parameter longer than maxPathParamChars', () => {
    assert.equal(router.resolve('GET', url('/api/containers/0123456789')).params['id'], '0123456789');
    assert.equal(refusal(() => router.resolve('GET', url('/api/containers/0123456789a'))).code, 'BAD_REQUEST');
  });

  it("lists its table with each route's parameters and schemas", () => {
    const patch = router.routes().find((route) => route.method === 'PATCH');
    assert.deepEqual(patch, { method: 'PATCH', pattern: '/api/containers/:id', params: ['id'], body: Rename, query: null });
    assert.equal(router.routes().length, 4);
  });

  it('refuses a route added twice, a pattern without a leading slash and a lower-case method, as programmer errors', () => {
    assert.throws(() => new Router().add('GET', '/a', list).add('GET', '/a', list), TypeError);
    assert.throws(() => new Router().add('GET', 'a', list), TypeError);
    assert.throws(() => new Router().add('get', '/a', list), TypeError);
  });
});

describe('Router.dispatch', () => {
  const errors: LogFields[] = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (_message, fields) => void errors.push(fields ?? {}) };
  const Item = z.strictObject({ count: z.number().int() });
  const Query = z.object({ size: z.enum(['s', 'm']).optional() });
  const router = new Router({ maxBodyBytes: 64 })
    .add('POST', '/items', { body: Item }, ({ body }) => ({ status: 201, body }))
    .add('GET', '/items', { query: Query }, ({ query }) => ({ status: 200, body: query }))
    .add('POST', '/sneaky', async ({ req }) => {
      for await (const chunk of req) void chunk;
      return { status: 200 };
    });
  let server: Server;
  let base: string;
  const send = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: 'Bearer test-admin-token-0123', 'content-type': contentType }, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    server = createServer(createApi(router, { adminToken: 'test-admin-token-0123', logger }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("parses the body with the route's own schema", async () => {
    assert.deepEqual(await send('POST', '/items', '{"count":3}'), { status: 201, body: { count: 3 } });
    const refused = await send('POST', '/items', '{"count":"3"}');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'BAD_REQUEST');
    assert.deepEqual(refused.body.error.issues[0].path, ['count']);
  });

  it("parses the query with the route's own schema, reading the first value of a repeated name", async () => {
    assert.deepEqual(await send('GET', '/items?size=m&size=x&other=1'), { status: 200, body: { size: 'm' } });
    assert.equal((await send('GET', '/items?size=xl')).body.error.code, 'BAD_REQUEST');
  });

  it('answers UNSUPPORTED_MEDIA_TYPE (415) for a body that is not declared JSON', async () => {
    const res = await send('POST', '/items', '{"count":3}', 'text/plain');
    assert.equal(res.status, 415);
    assert.equal(res.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers PAYLOAD_TOO_LARGE (413) for a body over maxBodyBytes', async () => {
    const res = await send('POST', '/items', JSON.stringify({ count: 1, pad: 'x'.repeat(100) }));
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  it("fails a route that reads the body without declaring its schema, as a programmer's mistake", async () => {
    const res = await send('POST', '/sneaky', '{}');
    assert.equal(res.status, 500);
    assert.equal(res.body.error.code, 'INTERNAL');
    assert.match(String(errors.at(-1)?.['error']), /POST \/sneaky reads the request body but declares no body schema/);
  });
});
