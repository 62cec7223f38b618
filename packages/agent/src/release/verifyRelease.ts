import { type ReleaseKey, ReleaseManifest, type SignedRelease, verifyManifestSignature } from '@lormas/protocol';
import { ReleaseError, ReleaseRule } from './ReleaseError.js';

/**
 * Checks the release key's signature over the manifest's exact text, and only then reads the
 * text as a manifest. Throws `ReleaseError` (`release-signature`, `release-manifest`).
 */
export function verifyRelease(release: SignedRelease, key: ReleaseKey): ReleaseManifest {
  if (!verifyManifestSignature(release.manifest, release.signature, key)) {
    throw new ReleaseError(ReleaseRule.signature, "the build's manifest is not signed by this node's release key");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(release.manifest);
  } catch {
    throw new ReleaseError(ReleaseRule.manifest, 'the signed manifest is not JSON');
  }
  const result = ReleaseManifest.safeParse(parsed);
  if (!result.success) throw new ReleaseError(ReleaseRule.manifest, `the signed manifest is not one this agent reads: ${result.error.issues[0]?.path.join('.') || 'manifest'} ${result.error.issues[0]?.message ?? ''}`.trim());
  return result.data;
}
