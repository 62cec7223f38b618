import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ServerError } from '../errors.js';
import { MAX_ISSUES, readJson } from './readJson.js';

/** A request carrying `body` with `headers`, as `node:http` hands one to a route. */
function request(body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): IncomingMessage {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Object.assign(Readable.from(bytes.length > 0 ? [bytes] : []), { headers: { 'content-length': String(bytes.length), ...headers }, complete: false }) as unknown as IncomingMessage;
}

const limits = { maxBodyBytes: 1_024, maxJsonDepth: 4 };
const Item = z.strictObject({ name: z.string(), tags: z.array(z.string()).optional(), labels: z.record(z.string(), z.unknown()).optional() });

async function refusal(req: IncomingMessage, schema: z.ZodType = Item, given = limits): Promise<ServerError> {
  try {
    await readJson(req, schema, given);
  } catch (error) {
    assert.ok(error instanceof ServerError, String(error));
    return error;
  }
  return assert.fail('expected a refusal');
}

describe('readJson', () => {
  it("parses a JSON body with the route's schema", async () => {
    assert.deepEqual(await readJson(request('{"name":"a"}'), Item, limits), { name: 'a' });
  });

  it('reads an empty body as {}', async () => {
    assert.deepEqual(await readJson(request('', {}), z.strictObject({}), limits), {});
  });

  it('answers UNSUPPORTED_MEDIA_TYPE for a body that is not declared JSON in UTF-8', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', ';;']) {
      assert.equal((await refusal(request('{"name":"a"}', { 'content-type': type }))).code, 'UNSUPPORTED_MEDIA_TYPE', type);
    }
    assert.equal((await refusal(request('{"name":"a"}', {}))).code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.deepEqual(await readJson(request('{"name":"a"}', { 'content-type': 'application/merge-patch+json; charset=UTF-8' }), Item, limits), { name: 'a' });
  });

  it('answers PAYLOAD_TOO_LARGE from the declared length, before reading a byte', async () => {
    const req = request('{}', { 'content-type': 'application/json', 'content-length': '1025' });
    assert.equal((await refusal(req)).code, 'PAYLOAD_TOO_LARGE');
    assert.equal(req.readableDidRead, false);
  });

  it('answers PAYLOAD_TOO_LARGE as soon as a body without a length grows past the limit', async () => {
    const chunks = [Buffer.from('{"name":"'), Buffer.alloc(2_000, 0x61), Buffer.from('"}')];
    const req = Object.assign(Readable.from(chunks), { headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, complete: false }) as unknown as IncomingMessage;
    assert.equal((await refusal(req)).code, 'PAYLOAD_TOO_LARGE');
  });

  it('answers BAD_REQUEST for bytes that are not UTF-8 and text that is not JSON', async () => {
    assert.equal((await refusal(request(Buffer.from([0x7b, 0xff, 0x7d])))).code, 'BAD_REQUEST');
    for (const text of ['{name: "a"}', '{"name":"a"', "{'name':'a'}", 'NaN']) assert.equal((await refusal(request(text))).code, 'BAD_REQUEST', text);
  });

  it('answers BAD_REQUEST for JSON that is not an object, with the issues zod found', async () => {
    for (const text of ['null', '42', '"a"', '[]', 'true']) {
      const error = await refusal(request(text));
      assert.equal(error.code, 'BAD_REQUEST', text);
      assert.ok(error.issues && error.issues.length > 0, text);
    }
  });

  it('answers BAD_REQUEST for a __proto__ key at any depth, naming where', async () => {
    const error = await refusal(request('{"name":"a","labels":{"x":{"__proto__":{"polluted":true}}}}'));
    assert.equal(error.code, 'BAD_REQUEST');
    assert.deepEqual(error.issues?.[0], { code: 'forbidden_key', path: ['labels', 'x', '__proto__'], message: 'the key "__proto__" is not allowed' });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('takes constructor and prototype as the plain keys they are where a record allows any key', async () => {
    assert.deepEqual(await readJson(request('{"name":"a","labels":{"constructor":1,"prototype":2}}'), Item, limits), { name: 'a', labels: { constructor: 1, prototype: 2 } });
  });

  it('answers BAD_REQUEST for nesting deeper than maxJsonDepth, without recursing', async () => {
    const deep = `{"name":"a","labels":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const error = await refusal(request(deep), Item, { maxBodyBytes: 1_000_000, maxJsonDepth: 4 });
    assert.equal(error.code, 'BAD_REQUEST');
    assert.equal(error.issues?.[0]?.code, 'too_deep');
  });

  it(`lists at most ${MAX_ISSUES} issues, however many the body has`, async () => {
    const error = await refusal(request(JSON.stringify({ name: 'a', tags: Array.from({ length: 200 }, (_, i) => i) })));
    assert.equal(error.issues?.length, MAX_ISSUES);
  });
});
