import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContainerSpec, type ContainerSpecInput } from '@lormas/protocol';
import { dockerToSpec } from './dockerToSpec.js';
import type { EngineContainerInspect, EngineCreateBody, EngineImageConfig } from './engineTypes.js';
import { specToDocker } from './specToDocker.js';

const AGENT_LABELS = { 'lormas.managed': 'true', 'lormas.node': 'node-1' };

const FULL: ContainerSpecInput = {
  name: 'web-1',
  image: 'example/web:1.2',
  cmd: ['serve', '--port', '8080'],
  entrypoint: ['/bin/web'],
  env: { MODE: 'prod', EMPTY: '', WITH_EQUALS: 'a=b' },
  labels: { team: 'blue' },
  workingDir: '/srv',
  user: '1000:1000',
  tty: true,
  mounts: [
    { type: 'volume', source: 'web-data', target: '/data' },
    { type: 'bind', source: '/srv/config', target: '/config', readOnly: true },
    { type: 'tmpfs', target: '/scratch', sizeBytes: 16 * 1024 * 1024 },
  ],
  restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
  resources: { memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 100 },
  healthcheck: { test: ['CMD', 'true'], intervalMs: 1_000, timeoutMs: 500, retries: 2, startPeriodMs: 250 },
  stopTimeoutSeconds: 7,
  privileged: true,
  networkMode: 'none',
  pidMode: 'host',
  ipcMode: 'shareable',
  utsMode: 'host',
  capAdd: ['NET_ADMIN'],
  devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', cgroupPermissions: 'rw' }],
  securityOpt: ['no-new-privileges'],
};

const IMAGE: EngineImageConfig = {
  Cmd: ['sh'],
  Env: ['PATH=/usr/bin:/bin', 'LANG=C'],
  Labels: { vendor: 'example' },
  WorkingDir: '/',
  User: '',
  Healthcheck: { Test: ['CMD', 'image-check'], Interval: 30_000_000_000 },
};

/** What the engine does with a create body: merges the image's defaults in and fills its own. */
function simulateEngine(body: EngineCreateBody, image: EngineImageConfig): EngineContainerInspect {
  const env = [...(image.Env ?? [])];
  for (const entry of body.Env ?? []) {
    const key = entry.slice(0, entry.indexOf('='));
    const at = env.findIndex((e) => e.startsWith(`${key}=`));
    if (at >= 0) env[at] = entry;
    else env.push(entry);
  }
  const entrypointGiven = body.Entrypoint !== undefined;
  const { name, HostConfig, ...config } = body;
  return {
    Id: 'abc',
    Name: `/${name}`,
    Created: '2024-01-01T00:00:00Z',
    Image: 'sha256:1',
    RestartCount: 0,
    State: { Status: 'created', Running: false, OOMKilled: false, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
    Config: {
      ...config,
      Env: env,
      Labels: { ...image.Labels, ...body.Labels },
      Cmd: body.Cmd ?? (entrypointGiven ? null : image.Cmd),
      Entrypoint: body.Entrypoint ?? image.Entrypoint ?? null,
      WorkingDir: body.WorkingDir ?? image.WorkingDir ?? '',
      User: body.User ?? image.User ?? '',
      Healthcheck: body.Healthcheck ?? image.Healthcheck ?? null,
    },
    HostConfig: {
      NetworkMode: 'default',
      IpcMode: 'private',
      PidMode: '',
      UTSMode: '',
      RestartPolicy: { Name: '', MaximumRetryCount: 0 },
      PidsLimit: null,
      ...HostConfig,
    },
  };
}

function roundTrip(input: ContainerSpecInput): { spec: ContainerSpec; back: ContainerSpec } {
  const spec = ContainerSpec.parse(input);
  return { spec, back: dockerToSpec(simulateEngine(specToDocker(spec, AGENT_LABELS), IMAGE), IMAGE) };
}

describe('specToDocker', () => {
  const body = specToDocker(ContainerSpec.parse(FULL), AGENT_LABELS);

  it('writes env as KEY=VALUE, keeping "=" inside values', () => {
    assert.deepEqual(body.Env, ['MODE=prod', 'EMPTY=', 'WITH_EQUALS=a=b']);
  });

  it('adds the agent labels to the spec labels', () => {
    assert.deepEqual(body.Labels, { team: 'blue', 'lormas.managed': 'true', 'lormas.node': 'node-1' });
  });

  it('maps volume, bind and tmpfs mounts with read-only and tmpfs size', () => {
    assert.deepEqual(body.HostConfig.Mounts, [
      { Type: 'volume', Source: 'web-data', Target: '/data', ReadOnly: false },
      { Type: 'bind', Source: '/srv/config', Target: '/config', ReadOnly: true },
      { Type: 'tmpfs', Target: '/scratch', ReadOnly: false, TmpfsOptions: { SizeBytes: 16 * 1024 * 1024 } },
    ]);
  });

  it('converts health check durations from milliseconds to nanoseconds', () => {
    assert.deepEqual(body.Healthcheck, { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 5e8, Retries: 2, StartPeriod: 2.5e8 });
  });

  it('maps restart policy, resources and stop timeout', () => {
    assert.deepEqual(body.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(body.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(body.HostConfig.NanoCpus, 500_000_000);
    assert.equal(body.HostConfig.PidsLimit, 100);
    assert.equal(body.StopTimeout, 7);
  });

  it('maps the guarded fields: privileged, namespaces, capabilities, devices, security options', () => {
    const host = body.HostConfig;
    assert.equal(host.Privileged, true);
    assert.deepEqual([host.NetworkMode, host.PidMode, host.IpcMode, host.UTSMode], ['none', 'host', 'shareable', 'host']);
    assert.deepEqual(host.CapAdd, ['NET_ADMIN']);
    assert.deepEqual(host.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rw' }]);
    assert.deepEqual(host.SecurityOpt, ['no-new-privileges']);
  });

  it('leaves out what the spec leaves out, so the engine and image defaults apply', () => {
    const minimal = specToDocker(ContainerSpec.parse({ name: 'm', image: 'busybox' }), {});
    for (const key of ['Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Healthcheck', 'StopTimeout'] as const) {
      assert.equal(key in minimal, false, key);
    }
    for (const key of ['RestartPolicy', 'Memory', 'NanoCpus', 'PidsLimit', 'NetworkMode', 'PidMode', 'IpcMode', 'UTSMode'] as const) {
      assert.equal(key in minimal.HostConfig, false, key);
    }
  });
});

describe('dockerToSpec', () => {
  it('round-trips a spec that sets every field', () => {
    const { spec, back } = roundTrip(FULL);
    assert.deepEqual(back, spec);
  });

  it('round-trips a minimal spec, leaving out what the image and engine filled in', () => {
    const { spec, back } = roundTrip({ name: 'm', image: 'busybox', networkMode: 'none' });
    assert.deepEqual(back, spec);
  });

  it('round-trips a spec that overrides the entrypoint without a command', () => {
    const { spec, back } = roundTrip({ name: 'e', image: 'busybox', entrypoint: ['/bin/sh', '-c'] });
    assert.deepEqual(back, spec);
  });

  it('round-trips a restart policy without a retry count', () => {
    const { spec, back } = roundTrip({ name: 'r', image: 'busybox', restartPolicy: { name: 'unless-stopped' } });
    assert.deepEqual(back, spec);
  });

  it('drops env entries inherited unchanged from the image but keeps ones the spec overrides', () => {
    const { back } = roundTrip({ name: 'p', image: 'busybox', env: { PATH: '/opt/bin', APP: '1' } });
    assert.deepEqual(back.env, { PATH: '/opt/bin', APP: '1' });
  });

  it('drops image labels and the agent labels from the spec labels', () => {
    const { back } = roundTrip({ name: 'l', image: 'busybox', labels: { team: 'red' } });
    assert.deepEqual(back.labels, { team: 'red' });
  });

  it('keeps everything the container has when the image is gone', () => {
    const inspect = simulateEngine(specToDocker(ContainerSpec.parse({ name: 'g', image: 'busybox' }), {}), IMAGE);
    const back = dockerToSpec(inspect, undefined);
    assert.deepEqual(back.env, { PATH: '/usr/bin:/bin', LANG: 'C' });
    assert.deepEqual(back.cmd, ['sh']);
  });
});
