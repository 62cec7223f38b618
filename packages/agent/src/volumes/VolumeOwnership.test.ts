import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentError, type ContainerSummary } from '@lormas/protocol';
import type { ContainerFacts, ContainerRuntime, VolumeFacts, VolumeUser } from '../docker/ContainerRuntime.js';
import { createLogger } from '../logger.js';
import { StateDir } from '../StateDir.js';
import { VolumeOwnership } from './VolumeOwnership.js';

const ours = { 'lormas.managed': 'true', 'lormas.node': 'node-a' };
const logger = createLogger({ level: 'error', write: () => {} });

/** An engine of volumes and containers held in maps. */
function fakeEngine() {
  const volumes = new Map<string, VolumeFacts>();
  const containers = new Map<string, { labels: Record<string, string>; volumes: string[] }>();
  let serial = 0;
  const volume = (name: string, facts: Partial<VolumeFacts> = {}) =>
    volumes.set(name, { name, driver: 'local', labels: {}, options: {}, createdAt: `t${++serial}`, ...facts });
  const runtime = {
    inspectVolume: async (name: string) => volumes.get(name),
    createVolume: async (name: string, labels: Record<string, string>) => {
      if (!volumes.has(name)) volume(name, { labels });
      return volumes.get(name)!;
    },
    list: async (labels: Record<string, string>): Promise<ContainerSummary[]> =>
      [...containers]
        .filter(([, c]) => Object.entries(labels).every(([k, v]) => c.labels[k] === v))
        .map(([id, c]) => ({ id, name: id, image: 'x', state: 'exited', status: '', createdAt: 0, labels: c.labels })),
    labelsOf: async (id: string): Promise<ContainerFacts> => {
      const c = containers.get(id)!;
      return { id, name: id, labels: c.labels, tty: false, running: false, startedAt: '', mounts: c.volumes.map((source) => ({ type: 'volume', source, target: '/data' })) };
    },
    volumeUsers: async (name: string): Promise<VolumeUser[]> => [...containers].filter(([, c]) => c.volumes.includes(name)).map(([id, c]) => ({ id, labels: c.labels })),
  } as unknown as ContainerRuntime;
  return { runtime, volumes, containers, volume };
}

const denied = (rule: string) => (err: unknown) => err instanceof AgentError && err.code === 'POLICY_DENIED' && err.rule === rule;

describe('VolumeOwnership.check', () => {
  it("passes this node's volumes, reports missing ones for a mount, and refuses everything else", async () => {
    const { runtime, volume } = fakeEngine();
    volume('mine', { labels: ours });
    volume('theirs', { labels: { 'lormas.managed': 'true', 'lormas.node': 'node-b' } });
    volume('plain');
    volume('listed');
    volume('etc', { options: { type: 'none', o: 'bind', device: '/etc' } });
    volume('forged', { labels: ours, options: { type: 'none', o: 'bind', device: '/etc' } });
    const owner = new VolumeOwnership({ runtime, nodeId: 'node-a', allowList: ['listed', 'etc'], logger });
    assert.deepEqual(await owner.check(['mine', 'listed', 'new', 'new'], 'mount'), ['new']);
    await assert.rejects(owner.check(['theirs'], 'mount'), denied('volume-not-owned'));
    await assert.rejects(owner.check(['plain'], 'mount'), denied('volume-not-owned'));
    await assert.rejects(owner.check(['etc'], 'mount'), denied('volume-host-path'));
    await assert.rejects(owner.check(['forged'], 'mount'), denied('volume-host-path'));
  });

  it('lets a transfer act on owned volumes only: not a listed one, nor a missing one', async () => {
    const { runtime, volume } = fakeEngine();
    volume('mine', { labels: ours });
    volume('listed');
    const owner = new VolumeOwnership({ runtime, nodeId: 'node-a', allowList: ['listed'], logger });
    assert.deepEqual(await owner.check(['mine'], 'transfer'), []);
    await assert.rejects(owner.check(['listed'], 'transfer'), denied('volume-not-owned'));
    await assert.rejects(owner.check(['missing'], 'transfer'), denied('volume-not-owned'));
  });

  it('creates missing volumes labelled as this node, and refuses one someone else made first', async () => {
    const { runtime, volumes, volume } = fakeEngine();
    const owner = new VolumeOwnership({ runtime, nodeId: 'node-a', allowList: [], logger });
    await owner.create(['fresh']);
    assert.deepEqual(volumes.get('fresh')?.labels, ours);
    volume('raced');
    await assert.rejects(owner.create(['raced']), denied('volume-not-owned'));
  });
});

describe('VolumeOwnership.adoptLegacy', () => {
  function legacyEngine() {
    const engine = fakeEngine();
    engine.volume('legacy');
    engine.volume('shared');
    engine.volume('labelled', { labels: { app: 'x' } });
    engine.volume('bound', { options: { type: 'none', o: 'bind', device: '/srv' } });
    engine.containers.set('c1', { labels: ours, volumes: ['legacy', 'shared', 'labelled', 'bound'] });
    engine.containers.set('c2', { labels: ours, volumes: ['legacy'] });
    engine.containers.set('foreign', { labels: {}, volumes: ['shared'] });
    engine.containers.set('other-node', { labels: { 'lormas.managed': 'true', 'lormas.node': 'node-b' }, volumes: ['theirs'] });
    engine.volume('theirs');
    return engine;
  }

  it("adopts an unlabelled local volume named by this node's containers and mounted by none other, and keeps the record", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lgr-adopt-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const state = StateDir.open(join(dir, 'state'));
    const { runtime, containers } = legacyEngine();
    const owner = new VolumeOwnership({ runtime, nodeId: 'node-a', allowList: [], stateDir: state, logger });
    await owner.adoptLegacy();
    assert.deepEqual(await owner.check(['legacy'], 'transfer'), []);
    for (const name of ['shared', 'labelled', 'theirs']) await assert.rejects(owner.check([name], 'mount'), denied('volume-not-owned'), name);
    await assert.rejects(owner.check(['bound'], 'mount'), denied('volume-host-path'));
    // The containers go; the adoption stays, in the state folder.
    containers.clear();
    const reopened = new VolumeOwnership({ runtime, nodeId: 'node-a', allowList: [], stateDir: state, logger });
    assert.deepEqual(await reopened.check(['legacy'], 'mount'), []);
    assert.ok(!(await new VolumeOwnership({ runtime, nodeId: 'node-z', allowList: [], stateDir: state, logger }).check(['legacy'], 'mount').then(() => true, () => false)));
  });

  it('forgets an adoption when the volume was removed and made again under the name', async () => {
    const { runtime, volume } = legacyEngine();
    const owner = new VolumeOwnership({ runtime, nodeId: 'node-a', allowList: [], logger });
    await owner.adoptLegacy();
    volume('legacy');
    await assert.rejects(owner.check(['legacy'], 'mount'), denied('volume-not-owned'));
  });
});
