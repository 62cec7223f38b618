import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { AgentError } from '../../src/errors.js';
import type { ContainerEvent } from '../../src/schemas/events.js';
import { rawAgentHub } from '../support/rawAgent.js';

const event: ContainerEvent = { type: 'stop', containerId: 'c1', name: 'web', at: 1_700_000_000_000 };

/**
 * The agent frame fuzzer (issue 12, item 4) found values within the contract's bounds that
 * a server cannot keep: an empty container id or state (recorded, then sent back as the id
 * of the next command, which every agent refuses), and a time past the year 9999 (shown by
 * the API as a date no RFC 3339 reader parses; past 8.64e15 ms, `toISOString` throws). The
 * contract now refuses them.
 */
describe('issue 12: agent values a server cannot keep', () => {
  const raw = rawAgentHub();

  for (const [what, result] of [
    ['an empty container id', { containerId: '', name: 'web', state: 'running' }],
    ['an empty state', { containerId: 'c1', name: 'web', state: '' }],
  ] as const) {
    it(`fails a command answered with ${what} with BAD_AGENT_OUTPUT`, async () => {
      const node = `empty-${what.replace(/\W+/g, '-')}`;
      const agent = await raw.dial(node);
      const pending = raw.fixture.hub.client(node).containers.start.mutate({ operationId: 'op-1', id: 'web' });
      agent.result((await agent.next('containers.start')).id, result);
      const error = await pending.then(
        () => assert.fail(`${what} was accepted`),
        (e: unknown) => AgentError.from(e),
      );
      assert.equal(error.code, 'BAD_AGENT_OUTPUT');
    });
  }

  it('drops container events with an empty container id or guard rail, or a time past the year 9999, and delivers the next valid one', async () => {
    const agent = await raw.dial('bad-events');
    const delivered: unknown[] = [];
    raw.fixture.hub.client('bad-events').containers.events.subscribe(undefined, { onData: ({ data }) => delivered.push(data) });
    const { id } = await agent.next('containers.events');
    const invalid = [{ ...event, containerId: '' }, { ...event, guardRail: { rule: '', message: 'bind source moved' } }, { ...event, at: 253_402_300_800_000 }, { ...event, at: 9e15 }];
    invalid.forEach((data, index) => agent.result(id, { id: `e${index}`, data }, `e${index}`));
    agent.result(id, { id: 'ok', data: event }, 'ok');
    await waitFor(() => delivered.length > 0, { what: 'the valid event', timeoutMs: 5_000 });
    assert.deepEqual(delivered, [event]);
    assert.equal(raw.fixture.hub.counters('bad-events')!.invalidItems, invalid.length);
  });

  it('fails an inventory that lists a container with an empty id with BAD_AGENT_OUTPUT', async () => {
    const agent = await raw.dial('bad-inventory');
    const pending = raw.fixture.hub.client('bad-inventory').inventory.query();
    const summary = { id: '', name: 'web', image: 'busybox', state: 'running', status: 'Up', createdAt: 1, labels: {} };
    agent.result((await agent.next('inventory')).id, { nodeName: 'bad-inventory', containers: [summary] });
    const error = await pending.then(
      () => assert.fail('an empty container id was accepted'),
      (e: unknown) => AgentError.from(e),
    );
    assert.equal(error.code, 'BAD_AGENT_OUTPUT');
  });
});
