import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareAgentVersions } from './compareAgentVersions.js';

describe('compareAgentVersions', () => {
  it('orders versions by semver precedence: numbers as numbers, a pre-release before its release', () => {
    const ordered = ['0.9.0', '0.9.1', '0.10.0-alpha', '0.10.0-alpha.1', '0.10.0-alpha.beta', '0.10.0-beta.2', '0.10.0-beta.11', '0.10.0-rc.1', '0.10.0', '1.0.0', '10.0.0'];
    for (let i = 0; i < ordered.length - 1; i++) {
      assert.ok(compareAgentVersions(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
      assert.ok(compareAgentVersions(ordered[i + 1]!, ordered[i]!) > 0, `${ordered[i + 1]} > ${ordered[i]}`);
    }
    assert.equal(compareAgentVersions('1.2.3', '1.2.3'), 0);
  });
});
