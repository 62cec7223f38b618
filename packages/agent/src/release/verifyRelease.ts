import { verify } from 'node:crypto';
import { ReleaseManifest, type SignedRelease } from '@lormas/protocol';
import { ReleaseError, ReleaseRule } from './ReleaseError.js';
import type { ReleaseKey } from './releaseKey.js';

/**
 * Checks the release key's signature over the manifest's exact text, and only then reads the
 * text as a manifest. Throws `ReleaseError` (`release-signature`, `release-manifest`).
 */
export function verifyRelease(release: SignedRelease, key: ReleaseKey): ReleaseManifest {
  const signature = Buffer.from(release.signature, 'base64');
  let valid = false;
  try {
    // Ed25519 hashes internally: the algorithm argument is null (RFC 8032, PureEdDSA).
    valid = signature.length === 64 && verify(null, Buffer.from(release.manifest, 'utf8'), key.key, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new ReleaseError(ReleaseRule.signature, "the build's manifest is not signed by this node's release key");
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
