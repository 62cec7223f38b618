import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ReleaseKey } from '@lormas/protocol/release';
import { hashFile } from '@lormas/protocol/release';
import { openSignedManifest } from '../release/openSignedManifest.js';
import { ReleaseError, ReleaseRule } from '../release/ReleaseError.js';

/** The signed manifest of a build lies beside it, in `<build file>.release.json`. */
export const releaseFileOf = (buildFile: string) => `${buildFile}.release.json`;

/** A manifest's text and the release key's signature over it, as `SignedRelease` holds them. */
export interface SignedManifest {
  manifest: string;
  signature: string;
}

/** The largest `.release.json` read: a manifest is a few hundred bytes, its signature 88 characters. */
const MAX_RELEASE_FILE_BYTES = 16 * 1024;

/** Reads the signed manifest kept beside `buildFile`; `null` when there is none. Throws `ReleaseError`. */
export function readReleaseFile(buildFile: string): SignedManifest | null {
  const path = releaseFileOf(buildFile);
  if (!existsSync(path)) return null;
  const refuse = () => new ReleaseError(ReleaseRule.manifest, `${path} is not a signed manifest`);
  if (statSync(path).size > MAX_RELEASE_FILE_BYTES) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw refuse();
  }
  const { manifest, signature } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof manifest !== 'string' || typeof signature !== 'string') throw refuse();
  return { manifest, signature };
}

/**
 * Verifies a build before it runs: the release key's signature over its manifest's exact
 * text, then the file's size and SHA-256 against the manifest (`signal` ends the read early). Run by the launcher every time
 * it starts a build, so a build changed on disk after its download (the builds folder is the
 * agent's own) never runs. Throws `ReleaseError`.
 *
 * Only the two fields a start depends on are read from the signed text, without zod (the
 * launcher stays resident; see `loadLauncherSettings`): the agent checked the whole manifest
 * (`verifyRelease`: kind, CPU, protocol, version) before it placed the build, as the install
 * did for the installed one, and the signature proves the text is the one they checked.
 */
export async function verifyBuild(buildFile: string, release: SignedManifest, key: ReleaseKey, signal?: AbortSignal): Promise<{ sha256: string; sizeBytes: number }> {
  const signed = openSignedManifest(release, key);
  const { sha256: signedHash, sizeBytes: signedSize } = (typeof signed === 'object' && signed !== null ? signed : {}) as Record<string, unknown>;
  if (typeof signedHash !== 'string' || !/^[0-9a-f]{64}$/.test(signedHash) || !Number.isSafeInteger(signedSize) || (signedSize as number) < 1) {
    throw new ReleaseError(ReleaseRule.manifest, 'the signed manifest names no SHA-256 and size');
  }
  const { sha256, sizeBytes } = await hashFile(buildFile, signal);
  if (sizeBytes !== signedSize) throw new ReleaseError(ReleaseRule.size, `${buildFile} has ${sizeBytes} bytes; its manifest says ${signedSize}`);
  if (sha256 !== signedHash) throw new ReleaseError(ReleaseRule.hash, `${buildFile} does not hash to its manifest's SHA-256`);
  return { sha256, sizeBytes };
}
