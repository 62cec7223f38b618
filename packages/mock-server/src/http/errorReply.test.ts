import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError, type ErrorCodeName } from '@lormas/protocol';
import { ServerError } from '../errors.js';
import { errorReply } from './errorReply.js';

describe('errorReply', () => {
  it("answers a ServerError with its own status, code and issues", () => {
    const issues = [{ code: 'invalid_type', path: ['name'], message: 'expected string' }];
    assert.deepEqual(errorReply(new ServerError('BAD_REQUEST', 'bad body', { issues })), {
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: 'bad body', issues } },
      headers: {},
      internal: false,
    });
  });

  it("keeps the headers a ServerError asks for, such as a 405's Allow", () => {
    assert.deepEqual(errorReply(new ServerError('METHOD_NOT_ALLOWED', 'no', { headers: { allow: 'GET' } })).headers, { allow: 'GET' });
  });

  const statuses: [ErrorCodeName, number][] = [
    ['BAD_INPUT', 400],
    ['POLICY_DENIED', 403],
    ['NOT_MANAGED', 403],
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['OPERATION_ID_REUSED', 409],
    ['ENGINE_ERROR', 502],
    ['ENGINE_UNAVAILABLE', 502],
    ['AGENT_UNAVAILABLE', 503],
    ['SHUTTING_DOWN', 503],
    ['AGENT_TIMEOUT', 504],
  ];
  for (const [code, status] of statuses) {
    it(`answers the agent's ${code} with ${status} and the agent's code`, () => {
      const reply = errorReply(new AgentError(code, 'refused'));
      assert.equal(reply.status, status);
      assert.equal(reply.body.error.code, code);
    });
  }

  it("keeps a guard rail's rule", () => {
    assert.equal(errorReply(new AgentError('POLICY_DENIED', 'no', { rule: 'privileged' })).body.error.rule, 'privileged');
  });

  it('answers anything else with a bland INTERNAL 500 and flags it for the log', () => {
    const reply = errorReply(new Error('disk /secret/path is full'));
    assert.deepEqual(reply, { status: 500, body: { error: { code: 'INTERNAL', message: 'internal server error' } }, headers: {}, internal: true });
  });
});
