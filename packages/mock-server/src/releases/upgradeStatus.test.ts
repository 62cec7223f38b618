import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hello } from '@lormas/protocol';
import { upgradeStatus } from './upgradeStatus.js';

const hello = (extra: Partial<Hello>): Hello => ({
  agentVersion: '0.9.0',
  protocolVersion: '1.1',
  nodeName: 'n',
  runtime: { name: 'node', version: '20.0.0' },
  engineVersion: '20.10.0',
  startedAt: 0,
  upgrades: { enabled: true, releaseKey: 'f'.repeat(64), allowDowngrade: false },
  ...extra,
});

describe('upgradeStatus', () => {
  it('is current at or above the newest build, or when the server offers none', () => {
    assert.equal(upgradeStatus(hello({}), '0.9.0').status, 'current');
    assert.equal(upgradeStatus(hello({ agentVersion: '1.0.0' }), '0.9.0').status, 'current');
    assert.equal(upgradeStatus(hello({}), null).status, 'current');
  });

  it('is unknown, not available, for an agent whose version semver does not order (a leading zero)', () => {
    const status = upgradeStatus(hello({ agentVersion: '0.9.0-rc.01' }), '0.10.0');
    assert.equal(status.status, 'unknown');
    assert.match(status.reason!, /semver does not order/);
  });

  it('is available to an older agent that takes remote upgrades', () => {
    assert.deepEqual(upgradeStatus(hello({}), '0.10.0'), { status: 'available', latest: '0.10.0', reason: null });
  });

  it('is by hand for a protocol 1.0 agent, and for one whose remote upgrades are off, saying why', () => {
    assert.match(upgradeStatus(hello({ protocolVersion: '1.0', upgrades: undefined }), '0.10.0').reason!, /protocol 1\.0 agents take no remote upgrades/);
    const off = upgradeStatus(hello({ upgrades: { enabled: false, releaseKey: null, allowDowngrade: false, reason: 'no RELEASE_KEY in CONFIG_FILE' } }), '0.10.0');
    assert.deepEqual([off.status, off.reason], ['by-hand', 'remote upgrades are off on the node: no RELEASE_KEY in CONFIG_FILE']);
  });

  it('is unknown before the agent said its version, or when it is not one', () => {
    assert.equal(upgradeStatus(null, '0.10.0').status, 'unknown');
    assert.equal(upgradeStatus(hello({ agentVersion: '0.0.0-stub+x' }), '0.10.0').status, 'unknown');
  });
});
