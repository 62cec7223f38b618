import type { ContainerSpec, Healthcheck, Mount } from '@lormas/protocol';
import type { EngineCreateBody, EngineHealthcheck, EngineMount } from './engineTypes.js';

/** Docker counts health check durations in nanoseconds; the spec in milliseconds. */
export const NS_PER_MS = 1_000_000;

function mountToDocker(mount: Mount): EngineMount {
  switch (mount.type) {
    case 'volume':
    case 'bind':
      return { Type: mount.type, Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly };
    case 'tmpfs':
      return {
        Type: 'tmpfs',
        Target: mount.target,
        ReadOnly: mount.readOnly,
        ...(mount.sizeBytes === undefined ? {} : { TmpfsOptions: { SizeBytes: mount.sizeBytes } }),
      };
  }
}

function healthcheckToDocker(check: Healthcheck): EngineHealthcheck {
  const body: EngineHealthcheck = { Test: check.test };
  if (check.intervalMs !== undefined) body.Interval = check.intervalMs * NS_PER_MS;
  if (check.timeoutMs !== undefined) body.Timeout = check.timeoutMs * NS_PER_MS;
  if (check.retries !== undefined) body.Retries = check.retries;
  if (check.startPeriodMs !== undefined) body.StartPeriod = check.startPeriodMs * NS_PER_MS;
  return body;
}

/** Copies the entries of `source` whose value is not `undefined`, so the engine sees only what was asked. */
function defined<T extends object>(source: T): Partial<T> {
  return Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * The create body for `spec`, with the agent's own `labels` laid over the spec's (the spec
 * schema already refuses `lormas.*` keys, so nothing of the caller's is overwritten).
 * Pure: the guard rails have judged `spec` before this runs.
 */
export function specToDocker(spec: ContainerSpec, labels: Record<string, string>): EngineCreateBody {
  const resources = spec.resources ?? {};
  return {
    name: spec.name,
    Image: spec.image,
    ...defined({
      Cmd: spec.cmd,
      Entrypoint: spec.entrypoint,
      WorkingDir: spec.workingDir,
      User: spec.user,
      StopTimeout: spec.stopTimeoutSeconds,
      Healthcheck: spec.healthcheck && healthcheckToDocker(spec.healthcheck),
    }),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...spec.labels, ...labels },
    Tty: spec.tty,
    HostConfig: {
      Mounts: spec.mounts.map(mountToDocker),
      ...defined({
        RestartPolicy: spec.restartPolicy && {
          Name: spec.restartPolicy.name,
          MaximumRetryCount: spec.restartPolicy.maximumRetryCount ?? 0,
        },
        Memory: resources.memoryBytes,
        NanoCpus: resources.nanoCpus,
        PidsLimit: resources.pidsLimit,
        NetworkMode: spec.networkMode,
        PidMode: spec.pidMode,
        IpcMode: spec.ipcMode,
        UTSMode: spec.utsMode,
      }),
      Privileged: spec.privileged,
      CapAdd: spec.capAdd,
      Devices: spec.devices.map((device) => ({
        PathOnHost: device.pathOnHost,
        PathInContainer: device.pathInContainer,
        CgroupPermissions: device.cgroupPermissions,
      })),
      SecurityOpt: spec.securityOpt,
    },
  };
}
