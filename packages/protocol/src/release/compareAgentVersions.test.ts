import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentVersion } from '../schemas/release.js';
import { compareAgentVersions, isOrderableAgentVersion } from './compareAgentVersions.js';

describe('compareAgentVersions', () => {
  it('orders versions by semver precedence: numbers as numbers, a pre-release before its release', () => {
    const ordered = ['0.9.0', '0.9.1', '0.10.0-alpha', '0.10.0-alpha.1', '0.10.0-alpha.beta', '0.10.0-beta.2', '0.10.0-beta.11', '0.10.0-rc.1', '0.10.0', '1.0.0', '10.0.0'];
    for (let i = 0; i < ordered.length - 1; i++) {
      assert.ok(compareAgentVersions(ordered[i]!, ordered[i + 1]!)! < 0, `${ordered[i]} < ${ordered[i + 1]}`);
      assert.ok(compareAgentVersions(ordered[i + 1]!, ordered[i]!)! > 0, `${ordered[i + 1]} > ${ordered[i]}`);
    }
    assert.equal(compareAgentVersions('1.2.3', '1.2.3'), 0);
  });

  it('orders numbers beyond 2^53 exactly, in the core and in pre-release parts', () => {
    // As numbers both are 9007199254740992: compared as doubles they were equal.
    assert.ok(compareAgentVersions('9007199254740993.0.0', '9007199254740992.0.0')! > 0);
    assert.ok(compareAgentVersions('1.0.0-rc.9007199254740992', '1.0.0-rc.9007199254740993')! < 0);
    assert.ok(compareAgentVersions('1.0.0-rc.99999999999999999999', '1.0.0-rc.100000000000000000000')! < 0);
    assert.equal(compareAgentVersions('1.0.0-rc.18446744073709551616', '1.0.0-rc.18446744073709551616'), 0);
  });

  it('gives no order (null) to a version with a part that is not a canonical non-negative integer', () => {
    for (const bad of ['01.0.0', '1.00.0', '1.0.01', '1.0.0-rc.01', '1.0.0-00', '-1.0.0', '1.0', '1.0.0.0', '1..0', '1.0.0-', '1.0.0-rc..1', '+1.0.0', '1.0.0-r$c', ' 1.0.0', '0x1.0.0', '1e3.0.0']) {
      assert.equal(isOrderableAgentVersion(bad), false, bad);
      assert.equal(compareAgentVersions(bad, '1.0.0'), null, bad);
      assert.equal(compareAgentVersions('1.0.0', bad), null, bad);
    }
    // Leading zeros are allowed where semver allows them: in a part that is not all digits.
    assert.equal(isOrderableAgentVersion('1.0.0-0a.007b'), true);
    assert.equal(isOrderableAgentVersion('1.0.0-0'), true);
  });

  it('orders every version the AgentVersion schema accepts, and the schema accepts none it cannot order', () => {
    const bad = ['01.0.0', '1.00.0', '1.0.01', '1.0.0-rc.01', '1.0.0-00', '1.0.0-rc.007', '2.0.0-0.09', '-1.0.0', '1.0', '1.0.0-', '1.0.0-rc..1', '1.0.0-r$c', '1.0.0+build', '1000000000.0.0', `1.0.0-${'a'.repeat(123)}`];
    for (const version of bad) assert.equal(AgentVersion.safeParse(version).success, false, version);
    const good = ['0.0.0', '1.2.3', '1.0.0-0', '1.0.0-0a.007b', '1.0.0-rc.10', '1.0.0-alpha-1.beta', '999999999.0.0'];
    for (const version of good) {
      assert.equal(AgentVersion.safeParse(version).success, true, version);
      assert.equal(isOrderableAgentVersion(version), true, version);
    }
  });
});
