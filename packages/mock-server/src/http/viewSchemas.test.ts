import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limit } from '@lormas/protocol';
import type { Rollout } from '../rollouts/Rollout.js';
import type { MigrationRecord } from '../store/MigrationStore.js';
import { STREAMED_EVENTS } from './viewSchemas.js';
import { COMPOSED_MESSAGE_CHARS, migrationView, rolloutView } from './views.js';

const NODE = 'node_abcdefghijklmn';
const beat = {
  id: NODE,
  status: 'online',
  health: 'online',
  silentMs: 120,
  lastHeartbeatAt: '2026-11-29T18:00:00.000Z',
  engine: { up: true, version: '27.1.0' },
  cpu: { cores: 2, usagePercent: 12.5, loadAverage1m: 0.4 },
  memory: { totalBytes: 25e9, usedBytes: 3e9 },
  disk: { path: '/', totalBytes: 1e11, usedBytes: 4e10 },
  containers: { managed: 3, running: 2 },
  uptime: { hostSeconds: 50_000, agentSeconds: 3_000 },
  sample: { at: 1_764_439_200_000, cpuPercent: 12.5, memoryPercent: 12 },
};
const accepts = (type: keyof typeof STREAMED_EVENTS, data: unknown) => STREAMED_EVENTS[type].safeParse(data).success;

describe('STREAMED_EVENTS: what a replica accepts from the engine as a live event', () => {
  it('accepts a heartbeats batch as replicas make it', () => {
    assert.ok(accepts('heartbeats', { nodes: [beat, { ...beat, id: 'node_bbbbbbbbbbbbbb', sample: null, cpu: null }] }));
  });

  it('refuses a forged batch: a field no view has, markup for a version, a figure out of range, an id of no node, no nodes at all', () => {
    assert.ok(!accepts('heartbeats', { nodes: [{ ...beat, html: '<img src=x onerror=alert(1)>' }] }));
    assert.ok(!accepts('heartbeats', { nodes: [{ ...beat, engine: { up: true, version: 'x'.repeat(10_000) } }] }));
    assert.ok(!accepts('heartbeats', { nodes: [{ ...beat, cpu: { ...beat.cpu, usagePercent: 1e9 } }] }));
    assert.ok(!accepts('heartbeats', { nodes: [{ ...beat, id: '../../api/nodes' }] }));
    assert.ok(!accepts('heartbeats', { nodes: [] }));
    assert.ok(!accepts('heartbeats', { nodes: [beat], more: true }));
    // A sparkline sample out of its range, or of another type.
    for (const sample of [{ ...beat.sample, cpuPercent: 1e9 }, { ...beat.sample, at: -1 }, { ...beat.sample, at: 1.5 }, { ...beat.sample, memoryPercent: null }, { at: 'now', cpuPercent: 1, memoryPercent: 1 }, { ...beat.sample, extra: 1 }]) {
      assert.ok(!accepts('heartbeats', { nodes: [{ ...beat, sample }] }), JSON.stringify(sample));
    }
  });

  it('refuses a reset of a reason no replica sends, and a cluster listing what are not node ids', () => {
    assert.ok(accepts('reset', { reason: 'events-lost' }));
    assert.ok(!accepts('reset', { reason: 'reload now' }));
    const cluster = { id: 'cl_abcdefghijklmn', name: 'edge', description: null, createdAt: '2026-11-29T18:00:00.000Z', nodes: [NODE] };
    assert.ok(accepts('cluster', { action: 'created', cluster }));
    assert.ok(!accepts('cluster', { action: 'created', cluster: { ...cluster, nodes: ['<script>'] } }));
    assert.ok(!accepts('cluster', { action: 'dropped', cluster }));
    // A deleted cluster's event, made once its record is gone, carries its id alone (LiveEvents).
    assert.ok(accepts('cluster', { action: 'deleted', cluster: { id: 'cl_abcdefghijklmn', name: '', description: null, createdAt: null, nodes: [] } }));
    assert.ok(!accepts('cluster', { action: 'deleted', cluster: { id: 'cl_abcdefghijklmn', name: '', description: null, createdAt: null, nodes: [NODE] } }));
  });
});

describe('views cut what the server composed to the bound every replica checks', () => {
  const NODE_B = 'node_bbbbbbbbbbbbbb';
  it('a rollout halted waiting for a thousand nodes, and a node failed with an agent message at its bound, still make a rollout event', () => {
    const rollout: Rollout = {
      id: 'ro_abcdefghijklmn',
      version: '1.2.3',
      batchSize: 1,
      maxUnavailable: 1_000,
      status: 'halted',
      error: `1000 node(s) away for more than 60000 ms: ${Array.from({ length: 1_000 }, () => NODE_B).join(', ')}`,
      startedAt: 1_764_439_200_000,
      endedAt: 1_764_439_260_000,
      nodes: [{ nodeId: NODE, nodeName: 'n'.repeat(128), fromVersion: '1.2.2', status: 'failed', detail: `the agent refused: ${'x'.repeat(Limit.messageChars)} (rule ${'r'.repeat(300)})`, startedAt: 1_764_439_200_000, endedAt: 1_764_439_230_000 }],
    };
    const view = rolloutView(rollout);
    assert.ok(view.error!.length <= COMPOSED_MESSAGE_CHARS && view.error!.endsWith('…'));
    assert.ok(accepts('rollout', { action: 'finished', rollout: view }));
  });

  it('a migration step copying a volume with the longest mount paths still makes a migration event', () => {
    const record: MigrationRecord = {
      id: 'mig_abcdefghijklmn',
      containerId: 'ctr_abcdefghijklmn',
      containerName: 'web',
      trigger: 'manual',
      sourceNodeId: NODE,
      targetNodeId: NODE_B,
      status: 'running',
      error: null,
      startedAt: 1_764_439_200_000,
      endedAt: null,
      steps: [{ name: 'copy-volume', status: 'ok', detail: `${'v'.repeat(1_024)} -> /${'t'.repeat(4_095)}: 123 bytes`, at: 1_764_439_210_000 }],
    };
    assert.ok(accepts('migration', { action: 'step', migration: migrationView(record) }));
  });
});
