import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerEvent, ContainerSummary } from '@lormas/protocol';
import type { ContainerFacts, ContainerRuntime } from '../docker/ContainerRuntime.js';
import { Journal } from '../journal.js';
import { createLogger } from '../logger.js';
import { ForbiddenPaths } from '../policy/ForbiddenPaths.js';
import { guardRails } from '../policy/guardRails.js';
import { RunningBindGuard } from './RunningBindGuard.js';

const labels = { 'lormas.managed': 'true', 'lormas.node': 'node-a', 'lormas.server-id': 'ctr_1' };

/** Containers with one bind each; `stopped` records the stops and their timeouts. */
function fakeRuntime(containers: Record<string, { source: string; running?: boolean; labels?: Record<string, string> }>) {
  const stopped: [string, number | undefined][] = [];
  const runtime = {
    labelsOf: async (id: string): Promise<ContainerFacts> => {
      const c = containers[id]!;
      return { id, name: `name-${id}`, labels: c.labels ?? labels, tty: false, running: c.running ?? true, startedAt: '', mounts: [{ type: 'bind', source: c.source, target: '/host' }] };
    },
    list: async (): Promise<ContainerSummary[]> =>
      Object.entries(containers)
        .filter(([, c]) => c.running ?? true)
        .map(([id]) => ({ id, name: `name-${id}`, image: 'x', state: 'running', status: '', createdAt: 0, labels })),
    stop: async (id: string, timeoutSeconds?: number) => {
      stopped.push([id, timeoutSeconds]);
      return { exitCode: 137 };
    },
  } as unknown as ContainerRuntime;
  return { runtime, stopped };
}

/** `/srv/ok` resolves to itself, `/srv/swapped` to `/etc`, anything else nowhere. */
function realpath(source: string): string {
  if (source === '/srv/ok') return source;
  if (source === '/srv/swapped') return '/etc';
  throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
}

function guard(containers: Parameters<typeof fakeRuntime>[0]) {
  const { runtime, stopped } = fakeRuntime(containers);
  const events = new Journal<ContainerEvent>(10);
  const bindGuard = new RunningBindGuard({
    runtime,
    nodeId: 'node-a',
    managedLabels: {},
    rails: guardRails({ bindAllowList: ['/srv'] }),
    forbidden: new ForbiddenPaths(),
    events,
    logger: createLogger({ level: 'error', write: () => {} }),
    realpath,
    now: () => 42,
  });
  const reported = async () => {
    const out: ContainerEvent[] = [];
    const abort = new AbortController();
    events.close();
    for await (const { data } of events.read(undefined, abort.signal)) out.push(data);
    return out;
  };
  return { bindGuard, stopped, reported };
}

describe('RunningBindGuard', () => {
  it('stops at once a running container whose bind now leads into /etc, and reports it as a container event', async () => {
    const { bindGuard, stopped, reported } = guard({ c1: { source: '/srv/swapped' } });
    assert.equal((await bindGuard.check('c1'))?.rule, 'bind-mount-forbidden');
    assert.deepEqual(stopped, [['c1', 0]]);
    const [event] = await reported();
    assert.deepEqual({ ...event, guardRail: { rule: event!.guardRail!.rule } }, { type: 'stop', containerId: 'c1', name: 'name-c1', at: 42, serverId: 'ctr_1', guardRail: { rule: 'bind-mount-forbidden' } });
  });

  it('stops one whose bind no longer resolves, fail-closed', async () => {
    const { bindGuard, stopped } = guard({ c1: { source: '/srv/gone' } });
    assert.equal((await bindGuard.check('c1'))?.rule, 'bind-mount-unresolved');
    assert.equal(stopped.length, 1);
  });

  it('leaves alone a container whose binds hold, one that is not running, and refuses one it does not manage', async () => {
    const { bindGuard, stopped } = guard({ ok: { source: '/srv/ok' }, off: { source: '/srv/swapped', running: false }, foreign: { source: '/srv/swapped', labels: {} } });
    assert.equal(await bindGuard.check('ok'), undefined);
    assert.equal(await bindGuard.check('off'), undefined);
    await assert.rejects(bindGuard.check('foreign'), { code: 'NOT_MANAGED' });
    assert.deepEqual(stopped, []);
  });

  it('sweeps every running managed container and answers with those it stopped', async () => {
    const { bindGuard } = guard({ a: { source: '/srv/ok' }, b: { source: '/srv/swapped' }, c: { source: '/srv/gone' } });
    assert.deepEqual(await bindGuard.sweep(), ['b', 'c']);
  });
});
