import { AgentError, type ContainerSpec } from '@lormas/protocol';
import { bindSourceAllowed, forbiddenBindSource } from './bindSources.js';
import { type GuardRails, normaliseCapability } from './guardRails.js';

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
  'bind-mount': 'bind mount sources outside bindAllowList',
  'bind-mount-forbidden': 'bind mounts of "/", /etc, /proc, /sys, /dev, /boot, the Docker socket or its folder, and the engine data root, always',
  'security-opt': 'seccomp/apparmor "unconfined", label "disable", systempaths "unconfined", inline seccomp profiles, unless allowUnconfinedSecurityOpt',
} as const;

export type PolicyRule = keyof typeof POLICY_RULES;

function deny(rule: PolicyRule, message: string): never {
  throw new AgentError('POLICY_DENIED', `${message} (refused by this node's guard rail "${rule}")`, { rule });
}

/** Whether a `securityOpt` entry lifts a confinement. Docker accepts both `key=value` and the older `key:value`. */
export function loosensConfinement(option: string): boolean {
  const match = /^([a-z-]+)[=:](.*)$/s.exec(option.trim());
  if (!match) return false;
  const [, key, value] = match as unknown as [string, string, string];
  if (key === 'seccomp') return value === 'unconfined' || value.trimStart().startsWith('{');
  if (key === 'apparmor' || key === 'systempaths') return value === 'unconfined';
  if (key === 'label') return value === 'disable';
  return false;
}

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

function checkMounts(spec: ContainerSpec, rails: GuardRails): void {
  for (const mount of spec.mounts) {
    if (mount.type !== 'bind') continue;
    const reason = forbiddenBindSource(mount.source);
    if (reason !== undefined) deny('bind-mount-forbidden', `bind mount of ${mount.source} (${reason}) is never allowed`);
    if (!bindSourceAllowed(mount.source, rails.bindAllowList)) {
      deny('bind-mount', `bind mount of ${mount.source} is outside this node's allowed host paths`);
    }
  }
}

/**
 * Judges `spec` against this node's guard rails before any engine call, throwing
 * `POLICY_DENIED` with the rule's name at the first refusal. Nothing is created for a
 * refused spec.
 */
export function checkSpec(spec: ContainerSpec, rails: GuardRails): void {
  if (spec.privileged && !rails.allowPrivileged) deny('privileged', 'privileged mode is not allowed');
  checkNamespaces(spec, rails);
  const allowedCaps = new Set(rails.allowedCapabilities.map(normaliseCapability));
  for (const capability of spec.capAdd) {
    if (!allowedCaps.has(normaliseCapability(capability))) deny('cap-add', `adding capability ${capability} is not allowed`);
  }
  if (spec.devices.length > 0 && !rails.allowDevices) deny('devices', 'host devices are not allowed');
  checkMounts(spec, rails);
  for (const option of spec.securityOpt) {
    if (loosensConfinement(option) && !rails.allowUnconfinedSecurityOpt) deny('security-opt', `security option "${option}" is not allowed`);
  }
}
