import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAgentFrame } from './readAgentFrame.js';

const read = (value: unknown) => readAgentFrame(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), false);

describe('readAgentFrame', () => {
  it('reads each kind of result as what it is, keeping only the fields of its kind', () => {
    assert.deepEqual(read({ id: 1, result: { type: 'started' } }), { kind: 'frame', frame: { id: 1, result: { type: 'started' } } });
    assert.deepEqual(read({ id: 1, jsonrpc: '2.0', result: { type: 'stopped', data: 'ignored' } }), { kind: 'frame', frame: { id: 1, jsonrpc: '2.0', result: { type: 'stopped' } } });
    assert.deepEqual(read({ id: 2, result: { type: 'data', id: 'e1', data: { json: 3 } } }), { kind: 'frame', frame: { id: 2, result: { type: 'data', id: 'e1', data: { json: 3 } } } });
    assert.deepEqual(read({ id: 'call-3', result: { data: { json: null } } }), { kind: 'frame', frame: { id: 'call-3', result: { data: { json: null } } } });
    assert.deepEqual(read({ id: null, error: { json: { message: 'x' } } }), { kind: 'frame', frame: { id: null, error: { json: { message: 'x' } } } });
    assert.deepEqual(read({ id: null, method: 'reconnect' }), { kind: 'frame', frame: { id: null, method: 'reconnect' } });
  });

  it('refuses a data result that carries no data at all (an encoded `undefined` is data: `{ meta }` without `json`)', () => {
    assert.equal(read({ id: 4, result: {} }).kind, 'violation');
    assert.equal(read({ id: 4, result: { type: 'data' } }).kind, 'violation');
    assert.deepEqual(read({ id: 4, result: { type: 'data', data: { meta: { values: ['undefined'] } } } }), {
      kind: 'frame',
      frame: { id: 4, result: { type: 'data', data: { meta: { values: ['undefined'] } } } },
    });
  });

  it('refuses a result of a kind the format does not have, and frames that break the envelope', () => {
    assert.equal(read({ id: 1, result: { type: 'paused' } }).kind, 'violation');
    assert.equal(read({ id: 1, result: { type: 'data', id: 7, data: 1 } }).kind, 'violation');
    assert.equal(read({ id: -1, result: { data: 1 } }).kind, 'violation');
    assert.equal(read({ id: 1, result: null }).kind, 'violation');
    assert.equal(read({ id: 1, result: 'done' }).kind, 'violation');
    assert.equal(read({ id: 1 }).kind, 'violation');
    assert.deepEqual(read('[1]'), { kind: 'violation', reason: 'a frame that is not a JSON object' });
    assert.deepEqual(read('{'), { kind: 'violation', reason: 'a frame that is not JSON' });
    assert.deepEqual(readAgentFrame(Buffer.from('{}'), true), { kind: 'violation', reason: 'a binary frame' });
  });

  it('tells the text keep-alive apart from frames', () => {
    assert.deepEqual(read('PING'), { kind: 'keep-alive', text: 'PING' });
    assert.deepEqual(read('PONG'), { kind: 'keep-alive', text: 'PONG' });
  });
});
