import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { RELEASE_MANIFEST_FORMAT, ReleaseManifest, type SignedRelease } from '@lormas/protocol';
import { hashFile } from '@lormas/protocol/release';
import { encodeReleaseKey, releaseKeyFingerprint } from '@lormas/protocol';

/** A new release key pair: the private key as PKCS#8 PEM, the public key as `RELEASE_KEY` takes it. */
export function generateReleaseKey(): { privateKeyPem: string; publicKey: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const encoded = encodeReleaseKey(publicKey);
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: encoded, fingerprint: releaseKeyFingerprint(Buffer.from(encoded, 'base64')) };
}

/**
 * The manifest's text: one line of JSON, keys in the schema's order, so a shell script can
 * read a field with `sed` once the signature over these exact bytes has been checked.
 */
export function manifestText(manifest: ReleaseManifest): string {
  const checked = ReleaseManifest.parse(manifest);
  const { format, version, kind, arch, sha256, sizeBytes, protocolVersion } = checked;
  return JSON.stringify({ format, version, kind, arch, sha256, sizeBytes, protocolVersion });
}

/** Signs a manifest's text with the release key's private half (Ed25519). */
export function signManifest(text: string, privateKey: KeyObject): SignedRelease {
  return { manifest: text, signature: sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64') };
}

/** Hashes a build and signs its manifest. */
export async function signBuild(
  file: string,
  fields: { version: string; kind: ReleaseManifest['kind']; arch: ReleaseManifest['arch']; protocolVersion: string },
  privateKey: KeyObject,
): Promise<{ manifest: ReleaseManifest; release: SignedRelease }> {
  const { sha256, sizeBytes } = await hashFile(file);
  const manifest: ReleaseManifest = { format: RELEASE_MANIFEST_FORMAT, ...fields, sha256, sizeBytes };
  return { manifest, release: signManifest(manifestText(manifest), privateKey) };
}
