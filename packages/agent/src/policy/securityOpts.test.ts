import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guardRails } from './guardRails.js';
import { isDefaultSecurityOpt, LEGACY_UNCONFINED_SECURITY_OPTS, parseSecurityOpt, type SecurityOpt } from './securityOpts.js';

describe("parseSecurityOpt reads an option as the engine's parseSecurityOpt does", () => {
  const cases: [string, SecurityOpt][] = [
    ['no-new-privileges', { key: 'no-new-privileges', value: true }],
    ['no-new-privileges=true', { key: 'no-new-privileges', value: true }],
    ['no-new-privileges:1', { key: 'no-new-privileges', value: true }],
    ['no-new-privileges=F', { key: 'no-new-privileges', value: false }],
    // Go's ParseBool knows no "yes" and trims nothing.
    ['no-new-privileges=yes', { key: 'invalid' }],
    ['no-new-privileges= true', { key: 'invalid' }],
    ['disable', { key: 'label', value: 'disable' }],
    ['label=disable', { key: 'label', value: 'disable' }],
    ['label:type:spc_t', { key: 'label', value: 'type:spc_t' }],
    // "=" wins over an earlier ":": the key is "label:level", which the engine refuses.
    ['label:level=s0', { key: 'invalid' }],
    ['label=level:s0:c1,c2', { key: 'label', value: 'level:s0:c1,c2' }],
    ['apparmor=docker-default', { key: 'apparmor', value: 'docker-default' }],
    ['apparmor:docker-default', { key: 'apparmor', value: 'docker-default' }],
    ['apparmor= docker-default', { key: 'apparmor', value: ' docker-default' }],
    ['seccomp= null', { key: 'seccomp', value: ' null' }],
    ['seccomp={"a":1}', { key: 'seccomp', value: '{"a":1}' }],
    ['seccomp', { key: 'invalid' }],
    ['systempaths=unconfined', { key: 'invalid' }],
    ['writable-cgroups=true', { key: 'invalid' }],
    ['Seccomp=unconfined', { key: 'invalid' }],
    [' seccomp=unconfined', { key: 'invalid' }],
    ['', { key: 'invalid' }],
  ];
  for (const [option, expected] of cases) {
    it(`reads ${JSON.stringify(option)} as ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseSecurityOpt(option), expected);
    });
  }
});

describe('isDefaultSecurityOpt', () => {
  it('passes no-new-privileges in its true forms and the default AppArmor profile, nothing else', () => {
    assert.equal(isDefaultSecurityOpt('no-new-privileges:t'), true);
    assert.equal(isDefaultSecurityOpt('apparmor=docker-default'), true);
    for (const option of ['no-new-privileges=false', 'apparmor=docker-default ', 'label=level:s0', 'seccomp=builtin', 'disable']) {
      assert.equal(isDefaultSecurityOpt(option), false, option);
    }
  });

  it('keeps the legacy switch to spellings the engine reads as the options it named', () => {
    for (const option of LEGACY_UNCONFINED_SECURITY_OPTS) {
      const parsed = parseSecurityOpt(option);
      assert.ok(parsed.key !== 'invalid' && parsed.key !== 'no-new-privileges', option);
      assert.ok(['unconfined', 'disable'].includes(parsed.value), option);
    }
  });
});

describe('guardRails', () => {
  it('refuses at start-up an allowed security option the engine cannot parse, naming the option', () => {
    assert.throws(() => guardRails({ allowedSecurityOpts: ['seccomp=unconfined,apparmor=unconfined'] }), { name: 'TypeError' });
    assert.throws(() => guardRails({ allowedSecurityOpts: ['no-new-privileges,label=disable'] }), { name: 'TypeError', message: /allowedSecurityOpts/ });
    assert.throws(() => guardRails({ volumeAllowList: ['/srv/data'] }), { name: 'TypeError', message: /volumeAllowList/ });
  });
});
