import { AgentError, type ContainerSpec } from '@lormas/protocol';
import { judgeBindSource, type RealPath } from './bindSources.js';
import { ForbiddenPaths } from './ForbiddenPaths.js';
import { type GuardRails, normaliseCapability } from './guardRails.js';
import { isDefaultSecurityOpt } from './securityOpts.js';

export { assertManaged, managedLabels } from './assertManaged.js';
export { DEFAULT_GUARD_RAILS, type GuardRails, guardRails } from './guardRails.js';

/**
 * Every guard rail, by its stable name (the `rule` of a `POLICY_DENIED` error), with what
 * it refuses. The README's security section and the tests enumerate this list.
 */
export const POLICY_RULES = {
  privileged: 'privileged mode, unless allowPrivileged',
  'host-network': 'networkMode "host", unless allowHostNetwork',
  'host-pid': 'pidMode "host", unless allowHostPid',
  'host-ipc': 'ipcMode "host", unless allowHostIpc',
  'host-uts': 'utsMode "host", unless allowHostUts',
  'network-container': 'joining another container\'s namespaces ("container:<id>" modes), unless allowContainerNamespaces',
  'cap-add': 'added capabilities not in allowedCapabilities',
  devices: 'host devices, unless allowDevices',
  'bind-mount': 'bind mount sources outside bindAllowList, as written or with their links resolved',
  'bind-mount-forbidden':
    'bind mounts of "/", /etc, /proc, /sys, /dev, /boot, the Docker socket and its folder, the engine\'s and containerd\'s state, systemd and D-Bus sockets, the agent\'s own folders, always',
  'bind-mount-unresolved': 'bind mount sources whose links cannot be resolved on the host (missing, not searchable, looping), always',
  'security-opt': 'security options other than no-new-privileges and apparmor=docker-default, unless listed in allowedSecurityOpts',
  'volume-not-owned': 'volumes this agent did not create, unless listed in volumeAllowList; archive transfers of anything but an owned volume',
  'volume-host-path': 'volumes whose driver options bind a host path or device, always',
  'archive-entry': 'archive entries that would land outside the volume: absolute paths, "..", links leading out, devices, fifos',
} as const;

export type PolicyRule = keyof typeof POLICY_RULES;

function deny(rule: PolicyRule, message: string): never {
  throw policyDenied(rule, message);
}

/** A `POLICY_DENIED` error naming `rule`, for refusals made outside `checkSpec`. */
export function policyDenied(rule: PolicyRule, message: string): AgentError {
  return new AgentError('POLICY_DENIED', `${message} (refused by this node's guard rail "${rule}")`, { rule });
}

/** The shared default: the fixed forbidden paths only, for callers that know no more. */
const FIXED_FORBIDDEN_PATHS = new ForbiddenPaths();

function checkNamespaces(spec: ContainerSpec, rails: GuardRails): void {
  const modes = [
    ['network', spec.networkMode, 'host-network', rails.allowHostNetwork],
    ['PID', spec.pidMode, 'host-pid', rails.allowHostPid],
    ['IPC', spec.ipcMode, 'host-ipc', rails.allowHostIpc],
    ['UTS', spec.utsMode, 'host-uts', rails.allowHostUts],
  ] as const;
  for (const [namespace, mode, rule, allowed] of modes) {
    if (mode === 'host' && !allowed) deny(rule, `the host ${namespace} namespace is not allowed`);
    if (mode?.startsWith('container:') && !rails.allowContainerNamespaces) {
      deny('network-container', `sharing another container's ${namespace} namespace is not allowed`);
    }
  }
}

/** Throws `POLICY_DENIED` for the first bind source of `sources` that may not be mounted now. */
export function checkBindSources(sources: readonly string[], rails: GuardRails, forbidden: ForbiddenPaths = FIXED_FORBIDDEN_PATHS, realpath?: RealPath): void {
  for (const source of sources) {
    const refusal = judgeBindSource(source, rails.bindAllowList, forbidden, realpath);
    if (refusal) deny(refusal.rule, refusal.message);
  }
}

/**
 * Judges `spec` against this node's guard rails before any engine call, throwing
 * `POLICY_DENIED` with the rule's name at the first refusal. Nothing is created for a
 * refused spec. Volumes are judged apart (`VolumeOwnership`), since that needs the engine.
 */
export function checkSpec(spec: ContainerSpec, rails: GuardRails, forbidden: ForbiddenPaths = FIXED_FORBIDDEN_PATHS, realpath?: RealPath): void {
  if (spec.privileged && !rails.allowPrivileged) deny('privileged', 'privileged mode is not allowed');
  checkNamespaces(spec, rails);
  const allowedCaps = new Set(rails.allowedCapabilities.map(normaliseCapability));
  for (const capability of spec.capAdd) {
    if (!allowedCaps.has(normaliseCapability(capability))) deny('cap-add', `adding capability ${capability} is not allowed`);
  }
  if (spec.devices.length > 0 && !rails.allowDevices) deny('devices', 'host devices are not allowed');
  for (const option of spec.securityOpt) {
    if (!isDefaultSecurityOpt(option) && !rails.allowedSecurityOpts.includes(option)) deny('security-opt', `security option "${option}" is not allowed`);
  }
  checkBindSources(
    spec.mounts.flatMap((mount) => (mount.type === 'bind' ? [mount.source] : [])),
    rails,
    forbidden,
    realpath,
  );
}
