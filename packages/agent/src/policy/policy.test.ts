import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentError, ContainerSpec, type ContainerSpecInput } from '@lormas/protocol';
import { ForbiddenPaths } from './ForbiddenPaths.js';
import { DEFAULT_GUARD_RAILS, type GuardRails, guardRails } from './guardRails.js';
import { POLICY_RULES, type PolicyRule, checkSpec } from './policy.js';

/** A real folder to bind: a source that does not exist is refused as unresolved. */
const HOST = realpathSync(mkdtempSync(join(tmpdir(), 'lgr-policy-')));
mkdirSync(join(HOST, 'app', 'config'), { recursive: true });
after(() => rmSync(HOST, { recursive: true, force: true }));

function spec(extra: Partial<ContainerSpecInput> = {}): ContainerSpec {
  return ContainerSpec.parse({ name: 'c', image: 'busybox', ...extra });
}

function bind(source: string): Partial<ContainerSpecInput> {
  return { mounts: [{ type: 'bind', source, target: '/mnt' }] };
}

function assertDenied(input: Partial<ContainerSpecInput>, rule: PolicyRule, rails: Partial<GuardRails> = {}, forbidden?: ForbiddenPaths): void {
  assert.throws(
    () => checkSpec(spec(input), guardRails(rails), forbidden),
    (err: unknown) => err instanceof AgentError && err.code === 'POLICY_DENIED' && err.rule === rule,
  );
}

function assertAllowed(input: Partial<ContainerSpecInput>, rails: Partial<GuardRails> = {}): void {
  assert.doesNotThrow(() => checkSpec(spec(input), guardRails(rails)));
}

/** Rules judged elsewhere than in `checkSpec`: volumes need the engine, archive entries the stream. */
const JUDGED_ELSEWHERE = ['volume-not-owned', 'volume-host-path', 'archive-entry'] as const satisfies readonly PolicyRule[];

/** Each spec rule's refused request under the default (deny-all) guard rails. */
const REFUSED: Record<Exclude<PolicyRule, (typeof JUDGED_ELSEWHERE)[number]>, Partial<ContainerSpecInput>> = {
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
  'bind-mount-unresolved': bind('/srv/lgr-not-there'),
  'security-opt': { securityOpt: ['seccomp=unconfined'] },
};

describe('checkSpec under the default guard rails', () => {
  for (const rule of Object.keys(REFUSED) as (keyof typeof REFUSED)[]) {
    it(`refuses with POLICY_DENIED and rule "${rule}": ${POLICY_RULES[rule]}`, () => {
      assertDenied(REFUSED[rule], rule, rule === 'bind-mount-unresolved' ? { bindAllowList: ['/srv'] } : {});
    });
  }

  it('has a refusal for every rule, here or where that rule is judged', () => {
    assert.deepEqual([...Object.keys(REFUSED), ...JUDGED_ELSEWHERE].sort(), Object.keys(POLICY_RULES).sort());
  });

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
    assertAllowed(REFUSED['security-opt'], { allowedSecurityOpts: ['seccomp=unconfined'] });
  });

  it('allows only the listed capabilities, with or without the CAP_ prefix and in any case', () => {
    const rails = { allowedCapabilities: ['cap_net_admin'] };
    assertAllowed({ capAdd: ['NET_ADMIN', 'CAP_NET_ADMIN'] }, rails);
    assertDenied({ capAdd: ['NET_ADMIN', 'SYS_ADMIN'] }, 'cap-add', rails);
    assertDenied({ capAdd: ['ALL'] }, 'cap-add', rails);
  });

  it('allows a bind source inside an allowed folder, and the folder itself', () => {
    const rails = { bindAllowList: [`${HOST}/`] };
    assertAllowed(bind(`${HOST}/app/config`), rails);
    assertAllowed(bind(HOST), rails);
  });

  it('refuses a bind source that only shares a prefix of the allowed folder name', () => {
    assertDenied(bind('/srv/lormas-other'), 'bind-mount', { bindAllowList: ['/srv/lormas'] });
  });

  it('refuses a bind source that climbs out of the allowed folder with ".."', () => {
    assertDenied(bind('/srv/lormas/../secrets'), 'bind-mount', { bindAllowList: ['/srv/lormas'] });
    assertDenied(bind('/srv/lormas/../../etc/shadow'), 'bind-mount-forbidden', { bindAllowList: ['/srv/lormas'] });
  });

  it('refuses a symlink inside an allowed folder that points at a forbidden one', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lgr-policy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    symlinkSync('/etc', join(dir, 'link'));
    symlinkSync('/var/tmp', join(dir, 'out'));
    assertDenied(bind(join(dir, 'link')), 'bind-mount-forbidden', { bindAllowList: [dir] });
    assertDenied(bind(join(dir, 'out')), 'bind-mount', { bindAllowList: [dir] });
  });

  it('refuses a link anywhere in the path, not only at its end', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lgr-policy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    symlinkSync('/etc', join(dir, 'mid'));
    assertDenied(bind(join(dir, 'mid', 'ssl')), 'bind-mount-forbidden', { bindAllowList: [dir] });
  });

  it('fails closed: a source that is missing, loops or cannot be searched is refused, never judged as written', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lgr-policy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    symlinkSync(join(dir, 'b'), join(dir, 'a'));
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    const rails = { bindAllowList: [dir] };
    assertDenied(bind(join(dir, 'missing')), 'bind-mount-unresolved', rails);
    assertDenied(bind(join(dir, 'a')), 'bind-mount-unresolved', rails);
    // Tests run as root, who may search any folder: EACCES is what an unprivileged agent meets.
    const denied = (): string => {
      throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
    };
    assert.throws(
      () => checkSpec(spec(bind(join(dir, 'locked', 'link'))), guardRails(rails), undefined, denied),
      (err: unknown) => err instanceof AgentError && err.rule === 'bind-mount-unresolved' && /EACCES/.test(err.message),
    );
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
    assertAllowed(bind(HOST), everything);
  });

  const engineSide = [
    '/run/docker',
    '/run/docker/containerd/daemon',
    '/var/run/docker',
    '/run/containerd',
    '/run/containerd/containerd.sock',
    '/var/lib/containerd',
    '/run/systemd',
    '/run/systemd/private',
    '/run/dbus/system_bus_socket',
    '/run/dbus',
    '/var/lib',
  ];
  for (const source of engineSide) {
    it(`refuses ${source}, the engine's, containerd's or the init system's, even when "/" is allowed`, () => {
      assertDenied(bind(source), 'bind-mount-forbidden', everything);
    });
  }

  it("refuses the DOCKER_HOST socket's folder, the agent's own folders and the engine's reported data root, inside and out", () => {
    const forbidden = new ForbiddenPaths([
      { path: `${HOST}/engine`, reason: 'the folder of the DOCKER_HOST socket' },
      { path: `${HOST}/agent`, reason: "the agent's own folder" },
    ]);
    forbidden.setDataRoot(`${HOST}/docker-data`);
    for (const source of ['engine', 'engine/run', 'agent', 'agent/state', 'docker-data/volumes']) {
      assertDenied(bind(`${HOST}/${source}`), 'bind-mount-forbidden', everything, forbidden);
    }
    assertDenied(bind(HOST), 'bind-mount-forbidden', everything, forbidden);
    assert.doesNotThrow(() => checkSpec(spec(bind(`${HOST}/app`)), guardRails(everything), forbidden));
  });
});

describe('security options', () => {
  const refusedByDefault = [
    'seccomp=unconfined',
    'seccomp:unconfined',
    'seccomp=null',
    'seccomp= null',
    'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}',
    'apparmor=unconfined',
    'apparmor:unconfined',
    'apparmor=lormas-complain',
    'label=disable',
    'label:disable',
    'disable',
    'label=type:spc_t',
    'label=level:s0:c100,c200',
    'no-new-privileges=false',
    'no-new-privileges=0',
    'systempaths=unconfined',
    'writable-cgroups=true',
    'No-New-Privileges',
    ' no-new-privileges',
    'apparmor= docker-default',
  ];
  for (const option of refusedByDefault) {
    it(`refuses ${JSON.stringify(option)} as "security-opt" unless listed`, () => {
      assertDenied({ securityOpt: [option] }, 'security-opt');
    });
  }

  it('lets through only no-new-privileges in its true forms and apparmor=docker-default', () => {
    assertAllowed({
      securityOpt: [
        'no-new-privileges',
        'no-new-privileges=true',
        'no-new-privileges:true',
        'no-new-privileges=1',
        'no-new-privileges=t',
        'no-new-privileges=TRUE',
        'no-new-privileges=True',
        'apparmor=docker-default',
        'apparmor:docker-default',
      ],
    });
  });

  it("allows what the operator listed, in the listed spelling only", () => {
    const rails = { allowedSecurityOpts: ['label=level:s0:c100,c200', 'seccomp=unconfined'] };
    assertAllowed({ securityOpt: ['label=level:s0:c100,c200', 'seccomp=unconfined', 'no-new-privileges'] }, rails);
    assertDenied({ securityOpt: ['seccomp:unconfined'] }, 'security-opt', rails);
    assertDenied({ securityOpt: ['label=level:s0:c100'] }, 'security-opt', rails);
  });
});
