import { type ContainerSpec, type Healthcheck, type Mount, RESERVED_LABEL_PREFIX } from '@lormas/protocol';
import type { EngineContainerInspect, EngineHealthcheck, EngineHostConfig, EngineImageConfig, EngineMount } from './engineTypes.js';
import { NS_PER_MS } from './specToDocker.js';

/**
 * Values the engine fills in when the create body leaves a mode out. They read back as
 * "not set", so a spec that left them out round-trips unchanged.
 */
const ENGINE_DEFAULT_MODES = new Set(['', 'default', 'private']);

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function asArray(value: string[] | string | null | undefined): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

function mountFromDocker(mount: EngineMount): Mount | undefined {
  const readOnly = mount.ReadOnly ?? false;
  if ((mount.Type === 'volume' || mount.Type === 'bind') && mount.Source) {
    return { type: mount.Type, source: mount.Source, target: mount.Target, readOnly };
  }
  if (mount.Type === 'tmpfs') {
    const sizeBytes = mount.TmpfsOptions?.SizeBytes;
    return { type: 'tmpfs', target: mount.Target, readOnly, ...(sizeBytes ? { sizeBytes } : {}) };
  }
  // Anonymous volumes and other mount types cannot be written in a spec.
  return undefined;
}

function healthcheckFromDocker(check: EngineHealthcheck): Healthcheck | undefined {
  if (!check.Test || check.Test.length === 0) return undefined;
  const spec: Healthcheck = { test: check.Test };
  if (check.Interval) spec.intervalMs = check.Interval / NS_PER_MS;
  if (check.Timeout) spec.timeoutMs = check.Timeout / NS_PER_MS;
  if (check.Retries) spec.retries = check.Retries;
  if (check.StartPeriod) spec.startPeriodMs = check.StartPeriod / NS_PER_MS;
  return spec;
}

/** `KEY=VALUE` entries the container has that the image did not already set to the same value. */
function envFromDocker(env: string[] | null | undefined, imageEnv: string[] | null | undefined): Record<string, string> {
  const inherited = new Set(imageEnv ?? []);
  const result: Record<string, string> = {};
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || inherited.has(entry)) continue;
    result[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return result;
}

/** Labels the caller set: not the agent's own, and not ones inherited unchanged from the image. */
function labelsFromDocker(labels: Record<string, string> | null | undefined, imageLabels: Record<string, string> | null | undefined) {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith(RESERVED_LABEL_PREFIX) || imageLabels?.[key] === value) continue;
    result[key] = value;
  }
  return result;
}

function modeFromDocker(mode: string | undefined): string | undefined {
  return mode === undefined || ENGINE_DEFAULT_MODES.has(mode) ? undefined : mode;
}

function resourcesFromDocker(host: EngineHostConfig): ContainerSpec['resources'] {
  const resources: NonNullable<ContainerSpec['resources']> = {};
  if (host.Memory) resources.memoryBytes = host.Memory;
  if (host.NanoCpus) resources.nanoCpus = host.NanoCpus;
  if (host.PidsLimit && host.PidsLimit > 0) resources.pidsLimit = host.PidsLimit;
  return Object.keys(resources).length > 0 ? resources : undefined;
}

function restartPolicyFromDocker(policy: EngineHostConfig['RestartPolicy']): ContainerSpec['restartPolicy'] {
  const name = policy?.Name;
  if (name !== 'no' && name !== 'always' && name !== 'unless-stopped' && name !== 'on-failure') return undefined;
  const retries = policy?.MaximumRetryCount ?? 0;
  return retries > 0 ? { name, maximumRetryCount: retries } : { name };
}

/**
 * Rebuilds the spec a container was created from, out of the engine's inspect and the
 * image's own config. The engine merges the image's defaults (command, entrypoint, env,
 * labels, working dir, user, health check) into the container's config; those are taken
 * back out when they are unchanged, so the spec holds only what the caller asked for and
 * recreating it on another node, from the same image, gives the same container.
 * `image` is absent when the image is gone; then nothing is subtracted.
 */
export function dockerToSpec(info: EngineContainerInspect, image: EngineImageConfig | undefined): ContainerSpec {
  const config = info.Config;
  const host = info.HostConfig;
  const entrypoint = asArray(config.Entrypoint);
  const entrypointInherited = image !== undefined && sameJson(entrypoint, asArray(image.Entrypoint));
  // The engine copies the image's Cmd only when the entrypoint is not overridden.
  const cmdInherited = entrypointInherited && sameJson(config.Cmd, image?.Cmd);
  const healthcheck = config.Healthcheck && !sameJson(config.Healthcheck, image?.Healthcheck) ? healthcheckFromDocker(config.Healthcheck) : undefined;
  const spec: ContainerSpec = {
    name: info.Name.replace(/^\//, ''),
    image: config.Image ?? info.Image,
    env: envFromDocker(config.Env, image?.Env),
    labels: labelsFromDocker(config.Labels, image?.Labels),
    tty: config.Tty ?? false,
    mounts: (host.Mounts ?? []).map(mountFromDocker).filter((mount): mount is Mount => mount !== undefined),
    privileged: host.Privileged ?? false,
    capAdd: host.CapAdd ?? [],
    devices: (host.Devices ?? []).map((device) => ({
      pathOnHost: device.PathOnHost,
      pathInContainer: device.PathInContainer,
      cgroupPermissions: device.CgroupPermissions,
    })),
    securityOpt: host.SecurityOpt ?? [],
  };
  const optional: Partial<ContainerSpec> = {
    cmd: config.Cmd && !cmdInherited ? config.Cmd : undefined,
    entrypoint: entrypoint && !entrypointInherited ? entrypoint : undefined,
    workingDir: config.WorkingDir && config.WorkingDir !== image?.WorkingDir ? config.WorkingDir : undefined,
    user: config.User && config.User !== image?.User ? config.User : undefined,
    restartPolicy: restartPolicyFromDocker(host.RestartPolicy),
    resources: resourcesFromDocker(host),
    healthcheck,
    stopTimeoutSeconds: config.StopTimeout ?? undefined,
    networkMode: modeFromDocker(host.NetworkMode),
    pidMode: modeFromDocker(host.PidMode),
    ipcMode: modeFromDocker(host.IpcMode),
    utsMode: modeFromDocker(host.UTSMode),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (spec as Record<string, unknown>)[key] = value;
  }
  return spec;
}
