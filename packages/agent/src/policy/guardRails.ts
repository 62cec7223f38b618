import path from 'node:path';
import { securityOptMistake } from './securityOpts.js';

/**
 * What this node lets the server ask for beyond an ordinary container. Every option is the
 * agent operator's choice, read from the agent's own configuration; nothing the server
 * sends can widen it. The defaults refuse everything.
 */
export interface GuardRails {
  /** Run containers with `privileged: true`. @default false */
  allowPrivileged: boolean;
  /** `networkMode: host`. @default false */
  allowHostNetwork: boolean;
  /** `pidMode: host`. @default false */
  allowHostPid: boolean;
  /** `ipcMode: host`. @default false */
  allowHostIpc: boolean;
  /** `utsMode: host`. @default false */
  allowHostUts: boolean;
  /** Join another container's namespaces (`networkMode`, `pidMode` or `ipcMode` of `container:<id>`). @default false */
  allowContainerNamespaces: boolean;
  /** Capabilities `capAdd` may name, e.g. `NET_ADMIN` (the `CAP_` prefix is optional; `ALL` only if listed). @default [] */
  allowedCapabilities: string[];
  /** Pass host devices through. @default false */
  allowDevices: boolean;
  /**
   * Absolute host paths under which bind mount sources may lie. The Docker socket and the
   * system folders stay refused even when listed.
   * @default []
   */
  bindAllowList: string[];
  /**
   * `securityOpt` entries allowed besides `no-new-privileges` (in its true forms) and
   * `apparmor=docker-default`, as exact spellings: `seccomp=unconfined` allows that and not
   * `seccomp:unconfined`. Each must be an option the engine can parse.
   * @default []
   */
  allowedSecurityOpts: string[];
  /**
   * Names of existing volumes this agent did not create that containers may mount all the
   * same, e.g. a volume the operator made for them. A volume whose driver options bind a
   * host path stays refused even when listed.
   * @default []
   */
  volumeAllowList: string[];
}

/** Deny all. */
export const DEFAULT_GUARD_RAILS: Readonly<GuardRails> = Object.freeze({
  allowPrivileged: false,
  allowHostNetwork: false,
  allowHostPid: false,
  allowHostIpc: false,
  allowHostUts: false,
  allowContainerNamespaces: false,
  allowedCapabilities: [],
  allowDevices: false,
  bindAllowList: [],
  allowedSecurityOpts: [],
  volumeAllowList: [],
});

/** Upper-case, without the `CAP_` prefix, as the engine compares them. */
export function normaliseCapability(capability: string): string {
  return capability.trim().toUpperCase().replace(/^CAP_/, '');
}

/** A Docker volume name, as the engine accepts it for a local volume. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Fills the defaults in and normalises the lists. An entry that cannot mean what the
 * operator wanted (a relative bind path, a security option the engine cannot parse, a
 * volume name the engine would refuse) is an operator's mistake, refused at start-up with a
 * `TypeError` naming the option.
 */
export function guardRails(options: Partial<GuardRails> = {}): GuardRails {
  const rails = { ...DEFAULT_GUARD_RAILS, ...options };
  for (const entry of rails.bindAllowList) {
    if (!path.isAbsolute(entry)) throw new TypeError(`bindAllowList: expected absolute host paths, got "${entry}"`);
  }
  for (const entry of rails.allowedSecurityOpts) {
    const mistake = securityOptMistake(entry);
    if (mistake !== undefined) throw new TypeError(`allowedSecurityOpts: "${entry}" ${mistake}`);
  }
  for (const entry of rails.volumeAllowList) {
    if (!VOLUME_NAME.test(entry)) throw new TypeError(`volumeAllowList: "${entry}" is not a volume name`);
  }
  return {
    ...rails,
    allowedCapabilities: rails.allowedCapabilities.map(normaliseCapability),
    bindAllowList: rails.bindAllowList.map((entry) => path.resolve(entry)),
  };
}
