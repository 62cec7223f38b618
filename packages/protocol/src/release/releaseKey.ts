import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

/** The DER prefix of an Ed25519 public key in SubjectPublicKeyInfo form (RFC 8410): the raw 32 bytes follow it. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** An operator's release key: the Ed25519 public key that signs agent builds. */
export interface ReleaseKey {
  key: KeyObject;
  /** The key's 32 bytes. */
  raw: Buffer;
  /** SHA-256 of the 32 bytes, lowercase hex: what the install one-liner names and `hello` reports. */
  fingerprint: string;
}

/**
 * Reads a release key written as base64 of its 32 raw bytes (as `RELEASE_KEY` holds it and
 * the server serves it). Throws `TypeError` naming what is wrong.
 */
export function parseReleaseKey(text: string): ReleaseKey {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) throw new TypeError('must be an Ed25519 public key: base64 of its 32 bytes (44 characters)');
  const raw = Buffer.from(trimmed, 'base64');
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
  return { key, raw, fingerprint: releaseKeyFingerprint(raw) };
}

/** The fingerprint of a key's 32 raw bytes: SHA-256, lowercase hex. */
export function releaseKeyFingerprint(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/** The 32 raw bytes of an Ed25519 public key object, base64: the form `RELEASE_KEY` takes. */
export function encodeReleaseKey(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(SPKI_ED25519_PREFIX.length)).toString('base64');
}

/**
 * Whether `signature` (base64) is the key's Ed25519 signature over the manifest's exact text
 * (its UTF-8 bytes). A server checks the builds it offers with it; an agent checks every build
 * it is offered. Never throws.
 */
export function verifyManifestSignature(manifest: string, signature: string, key: ReleaseKey): boolean {
  const bytes = Buffer.from(signature, 'base64');
  try {
    // Ed25519 hashes internally: the algorithm argument is null (RFC 8032, PureEdDSA).
    return bytes.length === 64 && verify(null, Buffer.from(manifest, 'utf8'), key.key, bytes);
  } catch {
    return false;
  }
}
