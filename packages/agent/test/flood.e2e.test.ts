import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { docker, removeContainers, requireEngine, startProxy, TEST_IMAGE, waitFor, type Proxy } from '@lormas/testkit';
import { type AgentProcess, type Rig, spawnAgent, startRig, testToken } from './support/rig.js';

const PREFIX = 'lormas-e2e-flood-';
const TSX = ['node', '--import', 'tsx', 'agent.ts'];
/** How far the agent's RSS may grow over its figure before the flood while a reader stalls. */
const RSS_GROWTH_BOUND_BYTES = 64 * 1024 * 1024;

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

describe('the agent under log floods (agent process, real engine)', () => {
  let rig: Rig;
  let proxy: Proxy;
  let agent: AgentProcess;
  const nodeId = 'flood-node';

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX);
    rig = await startRig();
    proxy = await startProxy({ target: { port: rig.port } });
    agent = spawnAgent(TSX, {
      SERVER_URL: proxy.url,
      NODE_TOKEN: testToken(nodeId),
      NODE_NAME: nodeId,
      HEARTBEAT_INTERVAL_MS: '500',
      LOG_LEVEL: 'warn',
    });
    await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: 'the agent to connect', timeoutMs: 20_000 });
  });

  after(async () => {
    await agent.stop(5_000);
    await proxy.close();
    await rig.close();
    await removeContainers(PREFIX);
  });

  it(`keeps its memory within ${RSS_GROWTH_BOUND_BYTES / 1024 / 1024} MiB of its idle figure while the reader stalls, then catches up`, async () => {
    const lines = 400_000;
    const idle = rssBytes(agent.child.pid!);
    const client = rig.hub.client(nodeId);
    await docker(['run', '-d', '--network', 'none', '--label', 'lormas.managed=true', '--label', `lormas.node=${nodeId}`, '--name', `${PREFIX}slow`, TEST_IMAGE, 'sh', '-c', `seq 1 ${lines}; sleep 300`]);
    proxy.throttle(32 * 1024);
    let received = 0;
    let last = '';
    const subscription = client.containers.logs.subscribe(
      { id: `${PREFIX}slow`, follow: true },
      {
        onData: ({ data }) => {
          received += data.entries.length;
          last = data.entries.at(-1)?.line ?? last;
        },
      },
    );
    let peak = idle;
    const stalledUntil = Date.now() + 6_000;
    await waitFor(
      () => {
        peak = Math.max(peak, rssBytes(agent.child.pid!));
        return Date.now() > stalledUntil;
      },
      { intervalMs: 100, timeoutMs: 10_000, what: 'the stalled phase' },
    );
    assert.ok(received < lines, `the throttled reader got ${received} lines: the stall did not hold`);
    assert.ok(peak - idle < RSS_GROWTH_BOUND_BYTES, `RSS grew by ${((peak - idle) / 1024 / 1024).toFixed(1)} MiB (idle ${(idle / 1024 / 1024).toFixed(1)} MiB)`);
    proxy.throttle(null);
    await waitFor(() => last === String(lines), { timeoutMs: 60_000, what: 'the reader to catch up' });
    assert.equal(received, lines);
    subscription.unsubscribe();
  });

  it('keeps heartbeats on time while several containers flood their logs', async () => {
    const client = rig.hub.client(nodeId);
    const floods = 4;
    const subscriptions = [];
    let entries = 0;
    for (let i = 0; i < floods; i++) {
      const name = `${PREFIX}burst-${i}`;
      await docker(['run', '-d', '--network', 'none', '--label', 'lormas.managed=true', '--label', `lormas.node=${nodeId}`, '--name', name, TEST_IMAGE, 'sh', '-c', 'yes "flood line: the quick brown fox jumps over the lazy dog 0123456789"']);
      subscriptions.push(client.containers.logs.subscribe({ id: name, follow: true }, { onData: ({ data }) => (entries += data.entries.length) }));
    }
    const arrivals: number[] = [];
    const beats = client.node.heartbeats.subscribe(undefined, { onData: () => arrivals.push(Date.now()) });
    const until = Date.now() + 8_000;
    await waitFor(() => Date.now() > until, { intervalMs: 100, timeoutMs: 12_000, what: 'the flood window' });
    beats.unsubscribe();
    for (const s of subscriptions) s.unsubscribe();
    assert.ok(entries > 10_000, `the floods delivered ${entries} entries`);
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
    const worst = Math.max(...gaps);
    // Generous: the tight figure (p99 lateness) is the benchmark's.
    assert.ok(arrivals.length >= 12, `${arrivals.length} heartbeats in 8 s at a 500 ms interval`);
    assert.ok(worst < 1_500, `a heartbeat came ${worst} ms after the previous one (interval 500 ms)`);
  });
});
