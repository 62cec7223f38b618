import { AgentVersion, compareAgentVersions, type Hello, protocolAtLeast } from '@lormas/protocol';
import type { UpgradeView } from '../http/apiTypes.js';

/** The protocol version that brought remote upgrades (`agent.upgrade`). */
export const REMOTE_UPGRADE_SINCE = '1.1';

/**
 * A node's agent against the server's newest build: current, an upgrade a rollout can bring,
 * one it must get by hand (protocol 1.0, no release key, no launcher), or unknown.
 */
export function upgradeStatus(hello: Hello | null, latest: string | null): UpgradeView {
  if (!hello || !AgentVersion.safeParse(hello.agentVersion).success) return { status: 'unknown', latest, reason: hello ? `the agent reports version "${hello.agentVersion}"` : null };
  if (latest === null || compareAgentVersions(hello.agentVersion, latest) >= 0) return { status: 'current', latest, reason: null };
  if (!protocolAtLeast(hello.protocolVersion, REMOTE_UPGRADE_SINCE)) {
    return { status: 'by-hand', latest, reason: `protocol ${hello.protocolVersion} agents take no remote upgrades: install ${latest} by hand (the one-line install)` };
  }
  if (!hello.upgrades?.enabled) return { status: 'by-hand', latest, reason: `remote upgrades are off on the node: ${hello.upgrades?.reason ?? 'it does not say why'}` };
  return { status: 'available', latest, reason: null };
}
