import path from 'node:path';

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
  /** `seccomp=unconfined`, `apparmor=unconfined`, `label=disable`, `systempaths=unconfined`. @default false */
  allowUnconfinedSecurityOpt: boolean;
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
  allowUnconfinedSecurityOpt: false,
});

/** Upper-case, without the `CAP_` prefix, as the engine compares them. */
export function normaliseCapability(capability: string): string {
  return capability.trim().toUpperCase().replace(/^CAP_/, '');
}

/**
 * Fills the defaults in and normalises the lists. A relative allow-list entry is an
 * operator's mistake, refused at start-up with a `TypeError` naming the option.
 */
export function guardRails(options: Partial<GuardRails> = {}): GuardRails {
  const rails = { ...DEFAULT_GUARD_RAILS, ...options };
  for (const entry of rails.bindAllowList) {
    if (!path.isAbsolute(entry)) throw new TypeError(`bindAllowList: expected absolute host paths, got "${entry}"`);
  }
  return {
    ...rails,
    allowedCapabilities: rails.allowedCapabilities.map(normaliseCapability),
    bindAllowList: rails.bindAllowList.map((entry) => path.resolve(entry)),
  };
}
