import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STREAMED_EVENTS } from './viewSchemas.js';

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
