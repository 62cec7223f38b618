import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toRuntimeEvent } from './engineEvents.js';

function message(action: string, attributes: Record<string, string> = {}) {
  return {
    Type: 'container',
    Action: action,
    Actor: { ID: 'c1', Attributes: { name: 'web', image: 'busybox', 'lormas.managed': 'true', ...attributes } },
    time: 1_700_000_000,
    timeNano: 1_700_000_000_123_456_789,
  };
}

describe('toRuntimeEvent', () => {
  it('reads a die event with its exit code, name, labels and time', () => {
    assert.deepEqual(toRuntimeEvent(message('die', { exitCode: '137' })), {
      type: 'die',
      containerId: 'c1',
      name: 'web',
      labels: { 'lormas.managed': 'true' },
      at: 1_700_000_000_123,
      exitCode: 137,
    });
  });

  for (const action of ['create', 'start', 'oom', 'stop', 'restart', 'destroy', 'pause', 'unpause'] as const) {
    it(`reads a ${action} event`, () => {
      assert.equal(toRuntimeEvent(message(action))?.type, action);
    });
  }

  for (const health of ['healthy', 'unhealthy', 'starting'] as const) {
    it(`reads "health_status: ${health}" as a health event`, () => {
      const event = toRuntimeEvent(message(`health_status: ${health}`));
      assert.equal(event?.type, 'health');
      assert.equal(event?.health, health);
    });
  }

  it('ignores exec, attach and other actions', () => {
    assert.equal(toRuntimeEvent(message('exec_create: sh -c true')), undefined);
    assert.equal(toRuntimeEvent(message('attach')), undefined);
  });

  it('ignores events about other objects', () => {
    assert.equal(toRuntimeEvent({ ...message('create'), Type: 'volume' }), undefined);
  });

  it('falls back to whole seconds when the event has no nanosecond time', () => {
    const { timeNano: _, ...withoutNano } = message('start');
    assert.equal(toRuntimeEvent(withoutNano)?.at, 1_700_000_000_000);
  });
});
