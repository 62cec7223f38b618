import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { AgentError } from '../../src/errors.js';
import { rawAgentHub } from '../support/rawAgent.js';

/**
 * The agent frame fuzzer (issue 12, item 4) found that a call whose input holds a key
 * superjson guards against prototype pollution (a container label or environment variable
 * named `constructor` or `prototype`) failed with superjson's plain `Error` instead of a coded
 * one: the mock server answered such a create with a 500 and logged it as its own failure.
 * Such an input is now the caller's `BAD_INPUT`, and nothing is sent.
 */
describe('issue 12: inputs the link cannot encode', () => {
  const raw = rawAgentHub();

  for (const key of ['constructor', 'prototype']) {
    it(`fails a call whose input has a label named ${key} with BAD_INPUT, and sends nothing`, async () => {
      const node = `label-${key}`;
      const agent = await raw.dial(node);
      const input = { operationId: 'op-1', spec: { name: 'web', image: 'busybox', labels: JSON.parse(`{"${key}": "x"}`) as Record<string, string> } };
      const error = await raw.fixture.hub
        .client(node)
        .containers.create.mutate(input)
        .then(
          () => assert.fail('the call was sent'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof AgentError, String(error));
      assert.equal(error.code, 'BAD_INPUT');
      // The link goes on: the next call is sent and answered, and no create came before it.
      const next = raw.fixture.hub.client(node).containers.list.query();
      agent.result((await agent.next('containers.list')).id, []);
      assert.deepEqual(await next, []);
      assert.equal(agent.asked('containers.create'), false);
    });
  }

  it('ends a subscription whose input cannot be encoded with BAD_INPUT, instead of throwing from subscribe', async () => {
    const errors: AgentError[] = [];
    const input = JSON.parse('{"id": "web", "constructor": 1}') as { id: string };
    raw.fixture.hub.client('never-connected').containers.logs.subscribe(input, { onData: () => {}, onError: (error) => errors.push(error) });
    await waitFor(() => errors.length > 0, { what: 'the refusal', timeoutMs: 5_000 });
    assert.equal(errors[0]!.code, 'BAD_INPUT');
  });
});
