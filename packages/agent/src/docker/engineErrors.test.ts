import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import { toAgentError } from './engineErrors.js';

/** An error as docker-modem builds it for a refused HTTP call. */
function modemError(statusCode: number, json: unknown, reason = 'bad'): Error {
  const message = typeof json === 'object' && json ? (json as { message: string }).message : String(json);
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${reason} - ${message} `), { statusCode, json, reason });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code, errno: -2, syscall: 'connect' });
}

describe('toAgentError', () => {
  it('maps 404 to NOT_FOUND with the engine message', () => {
    const err = toAgentError(modemError(404, { message: 'No such container: web' }, 'no such container'));
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.message, 'No such container: web');
  });

  it('maps 409 to CONFLICT with the engine message', () => {
    const err = toAgentError(modemError(409, { message: 'Conflict. The container name "/web" is already in use' }));
    assert.equal(err.code, 'CONFLICT');
    assert.match(err.message, /already in use/);
  });

  it('maps another HTTP status to ENGINE_ERROR carrying the status', () => {
    const err = toAgentError(modemError(500, { message: 'driver failed' }, 'server error'));
    assert.equal(err.code, 'ENGINE_ERROR');
    assert.equal(err.engineStatus, 500);
    assert.equal(err.message, 'driver failed');
  });

  it('maps 400 to ENGINE_ERROR carrying the status', () => {
    const err = toAgentError(modemError(400, { message: 'invalid mount config' }));
    assert.equal(err.code, 'ENGINE_ERROR');
    assert.equal(err.engineStatus, 400);
  });

  it('reads the engine message from the decorated text when a streamed call has no parsed body', () => {
    const err = toAgentError(
      Object.assign(new Error('(HTTP code 404) no such container - Could not find the file /nope in container x '), { statusCode: 404 }),
    );
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.message, 'Could not find the file /nope in container x');
  });

  for (const code of ['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE']) {
    it(`maps a socket ${code} to ENGINE_UNAVAILABLE`, () => {
      const err = toAgentError(socketError(code));
      assert.equal(err.code, 'ENGINE_UNAVAILABLE');
      assert.match(err.message, new RegExp(code));
    });
  }

  it('keeps the original error as the cause', () => {
    const original = modemError(404, { message: 'No such image: x' });
    assert.equal(toAgentError(original).cause, original);
  });

  it('passes an AgentError through unchanged', () => {
    const original = new AgentError('POLICY_DENIED', 'no', { rule: 'privileged' });
    assert.equal(toAgentError(original), original);
  });

  it('maps an unknown failure without status to ENGINE_ERROR', () => {
    const err = toAgentError(new Error('socket hang up'));
    assert.equal(err.code, 'ENGINE_ERROR');
    assert.equal(err.engineStatus, undefined);
  });
});
