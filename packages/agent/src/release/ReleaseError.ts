/**
 * Why a build was refused. Each code is also the guard-rail rule an `agent.upgrade` refusal
 * names (`POLICY_DENIED`), so the server and the operator see which check failed.
 */
export const ReleaseRule = {
  /** Remote upgrades are off here: no release key in the root-owned configuration, or no launcher. */
  remoteUpgrade: 'remote-upgrade',
  /** The signature is not the release key's over this manifest. */
  signature: 'release-signature',
  /** The manifest is not one this agent reads. */
  manifest: 'release-manifest',
  /** A build of another kind (`js`, `exe`) or for another CPU than this node runs. */
  platform: 'release-platform',
  /** Older than the running build, and downgrades are not allowed here. */
  older: 'release-older',
  /** It speaks another major protocol version than this agent. */
  protocol: 'release-protocol',
  /** Larger than `MAX_UPGRADE_BYTES`, or the download's size differs from the manifest's. */
  size: 'release-size',
  /** The downloaded bytes do not hash to the manifest's SHA-256. */
  hash: 'release-hash',
  /** The download failed (the server refused, or the connection broke). */
  download: 'release-download',
} as const;
export type ReleaseRuleName = (typeof ReleaseRule)[keyof typeof ReleaseRule];

/** A build that must not run. Messages are fixed and bland: they never echo the bytes received. */
export class ReleaseError extends Error {
  override name = 'ReleaseError';
  constructor(
    readonly rule: ReleaseRuleName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
