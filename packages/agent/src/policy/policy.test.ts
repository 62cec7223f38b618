import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentError, ContainerSpec, type ContainerSpecInput } from '@lormas/protocol';
import { DEFAULT_GUARD_RAILS, type GuardRails, guardRails } from './guardRails.js';
import { POLICY_RULES, type PolicyRule, checkSpec } from './policy.js';

function spec(extra: Partial<ContainerSpecInput> = {}): ContainerSpec {
  return ContainerSpec.parse({ name: 'c', image: 'busybox', ...extra });
}

function bind(source: string): Partial<ContainerSpecInput> {
  return { mounts: [{ type: 'bind', source, target: '/mnt' }] };
}

function assertDenied(input: Partial<ContainerSpecInput>, rule: PolicyRule, rails: Partial<GuardRails> = {}): void {
  assert.throws(
    () => checkSpec(spec(input), guardRails(rails)),
    (err: unknown) => err instanceof AgentError && err.code === 'POLICY_DENIED' && err.rule === rule,
  );
}

function assertAllowed(input: Partial<ContainerSpecInput>, rails: Partial<GuardRails> = {}): void {
  assert.doesNotThrow(() => checkSpec(spec(input), guardRails(rails)));
}

/** Each rule's refused request under the default (deny-all) guard rails. */
const REFUSED: Record<PolicyRule, Partial<ContainerSpecInput>> = {
  privileged: { privileged: true },
  'host-network': { networkMode: 'host' },
  'host-pid': { pidMode: 'host' },
  'host-ipc': { ipcMode: 'host' },
  'host-uts': { utsMode: 'host' },
  'network-container': { networkMode: 'container:abc123' },
  'cap-add': { capAdd: ['SYS_ADMIN'] },
  devices: { devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse' }] },
  'bind-mount': bind('/srv/data'),
  'bind-mount-forbidden': bind('/etc'),
  'security-opt': { securityOpt: ['seccomp=unconfined'] },
};

describe('checkSpec under the default guard rails', () => {
  for (const rule of Object.keys(POLICY_RULES) as PolicyRule[]) {
    it(`refuses with POLICY_DENIED and rule "${rule}": ${POLICY_RULES[rule]}`, () => {
      assertDenied(REFUSED[rule], rule);
    });
  }

  it('allows an ordinary container with volumes, tmpfs, no network and no-new-privileges', () => {
    assertAllowed({
      networkMode: 'none',
      mounts: [
        { type: 'volume', source: 'data', target: '/data' },
        { type: 'tmpfs', target: '/tmp' },
      ],
      securityOpt: ['no-new-privileges', 'no-new-privileges:true'],
    });
  });

  it('refuses sharing another container PID namespace as "network-container"', () => {
    assertDenied({ pidMode: 'container:abc123' }, 'network-container');
  });

  it('names the rule in the message', () => {
    assert.throws(() => checkSpec(spec({ privileged: true }), DEFAULT_GUARD_RAILS), /"privileged"/);
  });
});

describe('checkSpec when the node allows more', () => {
  it('allows each refused request once its option is on (bind mounts aside)', () => {
    assertAllowed(REFUSED.privileged, { allowPrivileged: true });
    assertAllowed(REFUSED['host-network'], { allowHostNetwork: true });
    assertAllowed(REFUSED['host-pid'], { allowHostPid: true });
    assertAllowed(REFUSED['host-ipc'], { allowHostIpc: true });
    assertAllowed(REFUSED['host-uts'], { allowHostUts: true });
    assertAllowed(REFUSED['network-container'], { allowContainerNamespaces: true });
    assertAllowed(REFUSED.devices, { allowDevices: true });
    assertAllowed(REFUSED['security-opt'], { allowUnconfinedSecurityOpt: true });
  });

  it('allows only the listed capabilities, with or without the CAP_ prefix and in any case', () => {
    const rails = { allowedCapabilities: ['cap_net_admin'] };
    assertAllowed({ capAdd: ['NET_ADMIN', 'CAP_NET_ADMIN'] }, rails);
    assertDenied({ capAdd: ['NET_ADMIN', 'SYS_ADMIN'] }, 'cap-add', rails);
    assertDenied({ capAdd: ['ALL'] }, 'cap-add', rails);
  });

  it('allows a bind source inside an allowed folder, and the folder itself', () => {
    const rails = { bindAllowList: ['/srv/lormas/'] };
    assertAllowed(bind('/srv/lormas/app/config'), rails);
    assertAllowed(bind('/srv/lormas'), rails);
  });

  it('refuses a bind source that only shares a prefix of the allowed folder name', () => {
    assertDenied(bind('/srv/lormas-other'), 'bind-mount', { bindAllowList: ['/srv/lormas'] });
  });

  it('refuses a bind source that climbs out of the allowed folder with ".."', () => {
    assertDenied(bind('/srv/lormas/../secrets'), 'bind-mount', { bindAllowList: ['/srv/lormas'] });
    assertDenied(bind('/srv/lormas/../../etc/shadow'), 'bind-mount-forbidden', { bindAllowList: ['/srv/lormas'] });
  });

  it('refuses a symlink inside an allowed folder that points at a forbidden one', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lormas-policy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    symlinkSync('/etc', join(dir, 'link'));
    symlinkSync('/var/tmp', join(dir, 'out'));
    assertDenied(bind(join(dir, 'link')), 'bind-mount-forbidden', { bindAllowList: [dir] });
    assertDenied(bind(join(dir, 'out')), 'bind-mount', { bindAllowList: [dir] });
  });

  it('rejects a relative allow-list entry at start-up with a TypeError naming the option', () => {
    assert.throws(() => guardRails({ bindAllowList: ['srv/data'] }), { name: 'TypeError', message: /bindAllowList/ });
  });
});

describe('bind sources refused whatever the configuration', () => {
  const everything = { bindAllowList: ['/'] };
  const forbidden = [
    '/',
    '/etc',
    '/etc/ssl',
    '/proc',
    '/proc/1/root',
    '/sys',
    '/sys/fs/cgroup',
    '/dev',
    '/dev/sda',
    '/boot',
    '/var/run/docker.sock',
    '/run/docker.sock',
    '/home/me/.docker/run/docker.sock',
    '/var/run',
    '/run',
    '/var',
    '/var/lib/docker',
    '//etc//',
    '/tmp/../etc',
  ];
  for (const source of forbidden) {
    it(`refuses ${source} as "bind-mount-forbidden" even when "/" is allowed`, () => {
      assertDenied(bind(source), 'bind-mount-forbidden', everything);
    });
  }

  it('allows an ordinary host folder when "/" is allowed', () => {
    assertAllowed(bind('/srv/data'), everything);
  });
});

describe('security options', () => {
  const loosening = [
    'seccomp=unconfined',
    'seccomp:unconfined',
    'apparmor=unconfined',
    'apparmor:unconfined',
    'label=disable',
    'label:disable',
    'systempaths=unconfined',
    'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}',
  ];
  for (const option of loosening) {
    it(`refuses "${option}" as "security-opt"`, () => {
      assertDenied({ securityOpt: [option] }, 'security-opt');
    });
  }

  it('allows options that keep or tighten confinement', () => {
    assertAllowed({ securityOpt: ['no-new-privileges', 'no-new-privileges=true', 'apparmor=docker-default', 'label=level:s0:c100,c200'] });
  });
});

