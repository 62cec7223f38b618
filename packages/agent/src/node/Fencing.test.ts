import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ContainerSummary } from '@lormas/protocol';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import { createLogger } from '../logger.js';
import { StateDir } from '../StateDir.js';
import { Fencing } from './Fencing.js';
import { LAST_SESSION_FILE, LastSession } from './LastSession.js';

function fakeRuntime(containers: ContainerSummary[]) {
  const stopped: string[] = [];
  const filters: unknown[] = [];
  const runtime = {
    list: async (_labels: unknown, filter: unknown) => {
      filters.push(filter);
      return containers;
    },
    stop: async (id: string) => {
      stopped.push(id);
      const c = containers.find((x) => x.id === id)!;
      c.state = 'exited';
      return { exitCode: 0 };
    },
  } as unknown as ContainerRuntime;
  return { runtime, stopped, filters };
}

const container = (id: string, fenceAfterMs?: number): ContainerSummary => ({
  id,
  name: id,
  image: 'busybox',
  state: 'running',
  status: 'Up',
  createdAt: 0,
  labels: fenceAfterMs === undefined ? {} : { 'lormas.fence-after-ms': String(fenceAfterMs) },
});

describe('Fencing', () => {
  const logger = createLogger({ level: 'error', write: () => {} });

  it('stops a fenced container once the server has been away for its time, and no other', async () => {
    let now = 1_000;
    const { runtime, stopped, filters } = fakeRuntime([container('fenced', 5_000), container('late', 60_000), container('plain')]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    fencing.sessionAccepted();
    fencing.serverLost();
    now += 4_999;
    assert.deepEqual(await fencing.check(), []);
    assert.deepEqual(filters, [{ running: true, withLabel: 'lormas.fence-after-ms' }], 'the engine is asked for running fenced containers only');
    now += 1;
    assert.deepEqual(await fencing.check(), ['fenced']);
    assert.deepEqual(stopped, ['fenced']);
    await fencing.stop();
  });

  it('does nothing while the server is there', async () => {
    let now = 0;
    const { runtime, stopped } = fakeRuntime([container('fenced', 100)]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    fencing.sessionAccepted();
    now += 10_000;
    assert.deepEqual(await fencing.check(), []);
    assert.deepEqual(stopped, []);
  });

  it('counts from start-up when the server was never reached', async () => {
    let now = 0;
    const { runtime } = fakeRuntime([container('fenced', 100)]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    now = 100;
    assert.deepEqual(await fencing.check(), ['fenced']);
  });

  it('counts from the last accepted session: a socket that opens and is refused changes nothing', async () => {
    let now = 0;
    const { runtime } = fakeRuntime([container('fenced', 1_000)]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    fencing.sessionAccepted();
    now = 500;
    fencing.serverLost();
    // Refused sockets open and close every retry; only a `hello` would be a session.
    for (now = 600; now < 1_500; now += 100) fencing.serverLost();
    assert.equal(fencing.awaySince, 500);
    now = 1_500;
    assert.deepEqual(await fencing.check(), ['fenced']);
    await fencing.stop();
  });

  it('counts afresh after the server came back', async () => {
    let now = 0;
    const { runtime } = fakeRuntime([container('fenced', 1_000)]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    fencing.sessionAccepted();
    fencing.serverLost();
    now = 900;
    fencing.sessionAccepted();
    now = 1_500;
    fencing.serverLost();
    now = 2_000;
    assert.deepEqual(await fencing.check(), []);
    await fencing.stop();
  });
});

describe('Fencing across a restart', () => {
  const logger = createLogger({ level: 'error', write: () => {} });

  function stateDir(t: { after(fn: () => void): void }): StateDir {
    const dir = mkdtempSync(join(tmpdir(), 'lgr-fence-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    return StateDir.open(join(dir, 'state'));
  }

  it('goes on counting from the session recorded before the restart: neither at once nor from zero', async (t) => {
    const dir = stateDir(t);
    let now = 10_000;
    const first = new Fencing({ runtime: fakeRuntime([]).runtime, managedLabels: {}, logger, now: () => now, lastSession: new LastSession(dir, 'node-a') });
    first.sessionAccepted();
    now = 12_000;
    first.serverLost();
    await first.stop();
    await new LastSession(dir, 'node-a').write(12_000);

    // Restarted 3 s later, still cut off: 3 s of the 5 s are gone, not none and not all.
    now = 15_000;
    const { runtime } = fakeRuntime([container('fenced', 5_000)]);
    const second = new Fencing({ runtime, managedLabels: {}, logger, now: () => now, lastSession: new LastSession(dir, 'node-a') });
    assert.equal(second.awaySince, 12_000);
    assert.deepEqual(await second.check(), []);
    now = 17_000;
    assert.deepEqual(await second.check(), ['fenced']);
    await second.stop();
  });

  it('records the session while it lasts, and its end when the agent stops', async (t) => {
    const dir = stateDir(t);
    let now = 1_000;
    const fencing = new Fencing({ runtime: fakeRuntime([]).runtime, managedLabels: {}, logger, now: () => now, lastSession: new LastSession(dir, 'node-a'), recordIntervalMs: 10 });
    fencing.sessionAccepted();
    now = 4_000;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(new LastSession(dir, 'node-a').read(), 4_000, 'written during the session');
    now = 9_000;
    await fencing.stop();
    assert.equal(new LastSession(dir, 'node-a').read(), 9_000, 'written at the stop');
    assert.equal(statSync(join(dir.path, LAST_SESSION_FILE)).mode & 0o777, 0o600);
  });

  it("ignores another node's record and a time ahead of the clock", async (t) => {
    const dir = stateDir(t);
    await new LastSession(dir, 'node-b').write(1_000);
    const now = () => 50_000;
    assert.equal(new Fencing({ runtime: fakeRuntime([]).runtime, managedLabels: {}, logger, now, lastSession: new LastSession(dir, 'node-a') }).awaySince, 50_000);
    await new LastSession(dir, 'node-a').write(90_000);
    assert.equal(new Fencing({ runtime: fakeRuntime([]).runtime, managedLabels: {}, logger, now, lastSession: new LastSession(dir, 'node-a') }).awaySince, 50_000);
  });
});
