import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseTarget, type TargetCandidate } from './chooseTarget.js';

const candidate = (nodeId: string, clusterId: string | null, containers: number, cpuPercent = 0, memoryPercent = 0): TargetCandidate => ({ nodeId, clusterId, containers, cpuPercent, memoryPercent });

describe('chooseTarget', () => {
  const candidates = [candidate('eu-1', 'eu', 5), candidate('eu-2', 'eu', 3), candidate('us-1', 'us', 0), candidate('none-1', null, 1)];

  it("prefers the source's own cluster, even over an emptier node elsewhere", () => {
    assert.equal(chooseTarget({ sourceClusterId: 'eu', preferredClusterId: 'us', candidates })?.nodeId, 'eu-2');
  });

  it("falls back to the container's preferred cluster when its own has no healthy node", () => {
    assert.equal(chooseTarget({ sourceClusterId: 'asia', preferredClusterId: 'eu', candidates })?.nodeId, 'eu-2');
  });

  it('falls back to any node, the least loaded', () => {
    assert.equal(chooseTarget({ sourceClusterId: null, preferredClusterId: null, candidates })?.nodeId, 'us-1');
  });

  it('breaks a tie in container count by CPU, then by node id', () => {
    const tied = [candidate('b', null, 2, 50), candidate('a', null, 2, 10), candidate('c', null, 2, 10)];
    assert.equal(chooseTarget({ sourceClusterId: null, preferredClusterId: null, candidates: tied })?.nodeId, 'a');
  });

  it('breaks a tie in container count and CPU by memory', () => {
    const tied = [candidate('a', null, 1, 10, 80), candidate('b', null, 1, 10, 20)];
    assert.equal(chooseTarget({ sourceClusterId: null, preferredClusterId: null, candidates: tied })?.nodeId, 'b');
  });

  it('says which tier the choice came from and ranks that tier', () => {
    const chosen = chooseTarget({ sourceClusterId: 'asia', preferredClusterId: 'eu', candidates });
    assert.equal(chosen?.tier, 'preferred-cluster');
    assert.deepEqual(chosen?.ranked.map((c) => c.nodeId), ['eu-2', 'eu-1']);
  });

  it('answers null when no node is healthy', () => {
    assert.equal(chooseTarget({ sourceClusterId: 'eu', preferredClusterId: null, candidates: [] }), null);
  });
});
