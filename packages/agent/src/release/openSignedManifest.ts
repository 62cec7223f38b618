import { type ReleaseKey, verifyManifestSignature } from '@lormas/protocol/release';
import { ReleaseError, ReleaseRule } from './ReleaseError.js';

/**
 * Checks the release key's signature over a manifest's exact text, and only then reads the
 * text as JSON; what it holds is the caller's to judge. Loads no schema, so the launcher can
 * use it too. Throws `ReleaseError` (`release-signature`, `release-manifest`).
 */
export function openSignedManifest(release: { manifest: string; signature: string }, key: ReleaseKey): unknown {
  if (!verifyManifestSignature(release.manifest, release.signature, key)) {
    throw new ReleaseError(ReleaseRule.signature, "the build's manifest is not signed by this node's release key");
  }
  try {
    return JSON.parse(release.manifest) as unknown;
  } catch {
    throw new ReleaseError(ReleaseRule.manifest, 'the signed manifest is not JSON');
  }
}
