import { type ReleaseKey, ReleaseManifest, type SignedRelease } from '@lormas/protocol';
import { openSignedManifest } from './openSignedManifest.js';
import { ReleaseError, ReleaseRule } from './ReleaseError.js';

/**
 * Checks the release key's signature over the manifest's exact text, and only then reads the
 * text as a manifest. Throws `ReleaseError` (`release-signature`, `release-manifest`).
 */
export function verifyRelease(release: SignedRelease, key: ReleaseKey): ReleaseManifest {
  const result = ReleaseManifest.safeParse(openSignedManifest(release, key));
  if (!result.success) throw new ReleaseError(ReleaseRule.manifest, `the signed manifest is not one this agent reads: ${result.error.issues[0]?.path.join('.') || 'manifest'} ${result.error.issues[0]?.message ?? ''}`.trim());
  return result.data;
}
