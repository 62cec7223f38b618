import { existsSync, readFileSync } from 'node:fs';
import { SignedRelease, type ReleaseManifest } from '@lormas/protocol';
import { hashFile } from '../release/hashFile.js';
import { ReleaseError, ReleaseRule } from '../release/ReleaseError.js';
import type { ReleaseKey } from '@lormas/protocol';
import { verifyRelease } from '../release/verifyRelease.js';

/** The signed manifest of a build lies beside it, in `<build file>.release.json`. */
export const releaseFileOf = (buildFile: string) => `${buildFile}.release.json`;

/** Reads the signed manifest kept beside `buildFile`; `null` when there is none. */
export function readReleaseFile(buildFile: string): SignedRelease | null {
  const path = releaseFileOf(buildFile);
  if (!existsSync(path)) return null;
  const parsed = SignedRelease.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new ReleaseError(ReleaseRule.manifest, `${path} is not a signed manifest`);
  return parsed.data;
}

/**
 * Verifies a build before it runs: the release key's signature over its manifest, then the
 * file's size and SHA-256 against the manifest. Run by the launcher every time it starts a
 * build, so a build changed on disk after its download (the builds folder is the agent's own)
 * never runs. Throws `ReleaseError`.
 */
export async function verifyBuild(buildFile: string, release: SignedRelease, key: ReleaseKey): Promise<ReleaseManifest> {
  const manifest = verifyRelease(release, key);
  const { sha256, sizeBytes } = await hashFile(buildFile);
  if (sizeBytes !== manifest.sizeBytes) throw new ReleaseError(ReleaseRule.size, `${buildFile} has ${sizeBytes} bytes; its manifest says ${manifest.sizeBytes}`);
  if (sha256 !== manifest.sha256) throw new ReleaseError(ReleaseRule.hash, `${buildFile} does not hash to its manifest's SHA-256`);
  return manifest;
}
