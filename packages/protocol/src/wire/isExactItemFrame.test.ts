import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFuzz, fuzzSettings } from '@lormas/testkit';
import fc from 'fast-check';
import { checkExactForm, COMMON_EDGES, hasSurrogatePair } from '../../test/support/exactFormChanges.js';
import { Limit } from '../schemas/limits.js';
import { AgentFrame } from './frames.js';
import { isExactItemFrame } from './isExactItemFrame.js';

const settings = fuzzSettings({ quick: 3_000, long: 100_000 });

/** Values at and just past every bound of the frame schemas, and the words of the format. */
const EDGES: unknown[] = [
  ...COMMON_EDGES,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, '2.0', '2', 'data', 'started', 'stopped', 'reconnect',
  'x'.repeat(Limit.idChars), 'x'.repeat(Limit.idChars + 1), '\u{1F4A5}'.repeat(Limit.idChars / 2), '\u{1F4A5}'.repeat(Limit.idChars / 2 + 1),
  { json: { a: 1 } }, { code: -32600, message: 'bad' },
];

const requestId = fc.oneof(fc.nat(), fc.string({ minLength: 1, maxLength: 8 }), fc.constant(null));
const jsonrpc = fc.constant('2.0');
/** Frames of every kind an agent sends (items the most), and mixtures of them. */
const frames = fc.oneof(
  { weight: 4, arbitrary: fc.record({ id: requestId, jsonrpc, result: fc.record({ type: fc.constant('data'), id: fc.string({ maxLength: 8 }), data: fc.jsonValue() }, { requiredKeys: ['data'] }) }, { requiredKeys: ['id', 'result'] }) },
  fc.record({ id: requestId, jsonrpc, result: fc.record({ type: fc.constantFrom('started', 'stopped') }) }, { requiredKeys: ['id', 'result'] }),
  fc.record({ id: requestId, jsonrpc, error: fc.jsonValue() }, { requiredKeys: ['id', 'error'] }),
  fc.record({ id: requestId, jsonrpc, method: fc.constant('reconnect') }, { requiredKeys: ['id', 'method'] }),
  fc.record(
    { id: requestId, jsonrpc, result: fc.record({ type: fc.constantFrom('data', 'started', 'stopped'), id: fc.string({ maxLength: 8 }), data: fc.jsonValue() }, { requiredKeys: [] }), error: fc.jsonValue(), method: fc.constant('reconnect') },
    { requiredKeys: [] },
  ),
);

describe('isExactItemFrame', () => {
  it('takes the item frames an agent sends', () => {
    for (const frame of [
      { id: 3, result: { type: 'data', data: { json: { seq: 1 } } } },
      { id: 3, jsonrpc: '2.0', result: { type: 'data', id: '7', data: { json: { id: '7', data: 'x' } } } },
      { id: 'a', result: { data: null } },
    ]) {
      assert.equal(isExactItemFrame(JSON.parse(JSON.stringify(frame))), true, JSON.stringify(frame));
    }
  });

  it('leaves every other frame to the schema', () => {
    for (const frame of [
      { id: 3, result: { type: 'started' } },
      { id: 3, result: { type: 'stopped' } },
      { id: 3, error: { json: {} } },
      { id: null, method: 'reconnect' },
      { result: { data: 1 }, id: 3 },
      { id: 3, result: { data: 1 }, extra: true },
      { id: 3, result: { type: 'data' } },
      { id: -1, result: { data: 1 } },
    ]) {
      assert.equal(isExactItemFrame(JSON.parse(JSON.stringify(frame))), false, JSON.stringify(frame));
    }
  });

  it(`accepts only what the schema accepts and gives back unchanged, and every item frame the schema gives back (${describeFuzz(settings)})`, async () => {
    await checkExactForm({
      values: frames,
      edges: EDGES,
      schema: AgentFrame,
      isExact: isExactItemFrame,
      // Only items with their data (JSON has no `undefined`) are the check's; ids of surrogate pairs it may leave to the schema.
      mustTake: (frame) => 'result' in frame && 'data' in frame.result && frame.result.data !== undefined && !hasSurrogatePair(JSON.stringify([frame.id, frame.result.id ?? ''])),
      settings,
    });
  });
});
