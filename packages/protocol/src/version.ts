/**
 * The version of the wire contract, `MAJOR.MINOR`. A server accepts an agent whose major
 * version equals its own; minor versions only add optional fields and procedures.
 */
export const PROTOCOL_VERSION = '1.0';

/** Header in which the agent announces its protocol version when it dials in. */
export const PROTOCOL_VERSION_HEADER = 'x-lormas-protocol';

/** The major number of a `MAJOR.MINOR` version, or `null` when the text is not one. */
export function protocolMajor(version: string): number | null {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  return match ? Number(match[1]) : null;
}

/** Whether an agent speaking `agentVersion` can be served by a server speaking `serverVersion`. */
export function isCompatibleProtocol(agentVersion: string, serverVersion: string = PROTOCOL_VERSION): boolean {
  const agent = protocolMajor(agentVersion);
  return agent !== null && agent === protocolMajor(serverVersion);
}

/** Whether `version` is `since` or later (both `MAJOR.MINOR`); false when either is not a version. */
export function protocolAtLeast(version: string, since: string): boolean {
  const have = /^(\d+)\.(\d+)$/.exec(version);
  const need = /^(\d+)\.(\d+)$/.exec(since);
  if (!have || !need) return false;
  const [haveMajor, haveMinor] = [Number(have[1]), Number(have[2])];
  const [needMajor, needMinor] = [Number(need[1]), Number(need[2])];
  return haveMajor > needMajor || (haveMajor === needMajor && haveMinor >= needMinor);
}
