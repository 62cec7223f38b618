import { AgentVersion, compareAgentVersions, type Hello, protocolAtLeast } from '@lormas/protocol';
import type { UpgradeView } from '../http/apiTypes.js';

/** The protocol version that brought remote upgrades (`agent.upgrade`). */
export const REMOTE_UPGRADE_SINCE = '1.1';

/** Why the agent cannot take a remote upgrade (protocol 1.0, or its upgrades are off, as it says), or null when it can. */
export function remoteUpgradeRefusal(hello: Pick<Hello, 'protocolVersion' | 'upgrades'>): string | null {
  if (!protocolAtLeast(hello.protocolVersion, REMOTE_UPGRADE_SINCE)) return `protocol ${hello.protocolVersion} agents take no remote upgrades`;
  if (!hello.upgrades?.enabled) return `remote upgrades are off on the node: ${hello.upgrades?.reason ?? 'it does not say why'}`;
  return null;
}

/**
 * A node's agent against the server's newest build: current, an upgrade a rollout can bring,
 * one it must get by hand (protocol 1.0, no release key, no launcher), or unknown.
 */
export function upgradeStatus(hello: Hello | null, latest: string | null): UpgradeView {
  if (!hello) return { status: 'unknown', latest, reason: null };
  // A version that is not an agent version (one with a leading zero, which semver gives no order) is neither behind nor current: no rollout is offered on a guess.
  const order = !AgentVersion.safeParse(hello.agentVersion).success ? null : latest === null ? 0 : compareAgentVersions(hello.agentVersion, latest);
  if (order === null) return { status: 'unknown', latest, reason: `the agent reports version "${hello.agentVersion}", which semver does not order` };
  if (order >= 0) return { status: 'current', latest, reason: null };
  const refusal = remoteUpgradeRefusal(hello);
  if (refusal === null) return { status: 'available', latest, reason: null };
  // An agent of protocol 1.0 has no launcher to hand over to: its first upgrade is the one-line install.
  const byHand = protocolAtLeast(hello.protocolVersion, REMOTE_UPGRADE_SINCE) ? '' : `: install ${latest} by hand (the one-line install)`;
  return { status: 'by-hand', latest, reason: `${refusal}${byHand}` };
}
