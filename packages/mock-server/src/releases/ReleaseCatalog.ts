import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ArtifactKind,
  compareAgentVersions,
  parseReleaseKey,
  type ReleaseKey,
  ReleaseManifest,
  SignedRelease,
  verifyManifestSignature,
} from '@lormas/protocol';
import { hashFile } from '@lormas/protocol/release';
import type { Logger } from '../logger.js';

/** The public release key's file in the releases folder (base64 of its 32 bytes). */
export const RELEASE_KEY_FILE = 'release-key.pub';

/** One agent build the server offers: its file in the releases folder, and its signed manifest. */
export interface Release {
  file: string;
  manifest: ReleaseManifest;
  release: SignedRelease;
  /** Where agents and the install script download it: `/agent/builds/<sha256>`. */
  path: string;
}

interface Cached {
  mtimeMs: number;
  size: number;
  sha256: string;
}

interface Snapshot {
  /** When the folder read that made it began (epoch ms). */
  at: number;
  key: (ReleaseKey & { publicKey: string }) | null;
  releases: Release[];
}

/**
 * The agent builds in the releases folder (`RELEASES_DIR`), as `pnpm release sign` writes
 * them: each build beside its `<file>.release.json`, and the public key in `release-key.pub`.
 * The folder is read again in the background once a look finds the last read older than
 * `rescanMs`, so a newly signed build is offered without a restart; a build is offered only
 * when its manifest is signed by that key and the file's size and SHA-256 are the manifest's.
 * Hashes are cached by size and time of change, and a new build is hashed as a stream, off the
 * event loop: meanwhile every look gets the snapshot before it, so a build of a hundred
 * megabytes stalls no request. The server holds no private key: agents check every build
 * themselves, against their own configuration.
 */
export class ReleaseCatalog {
  private readonly hashes = new Map<string, Cached>();
  private readonly warned = new Set<string>();
  private listed: Snapshot = { at: -Infinity, key: null, releases: [] };
  private refreshing: Promise<void> | null = null;

  /**
   * `rescanMs`: the folder is read at most this often; every node view asks for the newest
   * build, and a fleet's heartbeats must not each read a folder.
   * @default 2_000 (milliseconds)
   */
  constructor(
    readonly dir: string | null,
    private readonly logger: Logger,
    private readonly rescanMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Reads the folder again and hashes the builds not seen yet; resolves once the new snapshot
   * is in place. One read at a time: a call while one runs gets that one.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.read().then(
      (snapshot) => {
        this.listed = snapshot;
        this.refreshing = null;
      },
      (error: unknown) => {
        this.refreshing = null;
        this.warnOnce(this.dir ?? '', `the releases folder could not be read: ${(error as Error).message}`);
      },
    );
    return this.refreshing;
  }

  /**
   * Waits for the folder read a look now would start, or the one running: for a caller that
   * must see a build signed a moment ago (a rollout of it), not the snapshot before.
   */
  current(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    return this.now() - this.listed.at >= this.rescanMs ? this.refresh() : Promise.resolve();
  }

  /**
   * Reads the folder in a read that starts after this call (a read already running may have
   * listed it before the file the caller looks for was written): for a caller that looked for a
   * build and did not find it.
   */
  async reread(): Promise<void> {
    await this.refreshing;
    await this.refresh();
  }

  /** The release key the folder names, or null when there is none (no folder, no file, or a bad one). */
  key(): (ReleaseKey & { publicKey: string }) | null {
    return this.snapshot().key;
  }

  /** Every build offered, newest version first. */
  list(): Release[] {
    return this.snapshot().releases;
  }

  /**
   * The key and the builds as last read: public routes (the key, the install line) read no file
   * per request. An older snapshot than `rescanMs` starts a read in the background and is
   * served until that read is done.
   */
  private snapshot(): Snapshot {
    if (this.now() - this.listed.at >= this.rescanMs) void this.refresh();
    return this.listed;
  }

  private async read(): Promise<Snapshot> {
    const at = this.now();
    const key = this.readKey();
    return { at, key, releases: await this.scan(key) };
  }

  private readKey(): (ReleaseKey & { publicKey: string }) | null {
    if (!this.dir) return null;
    const file = join(this.dir, RELEASE_KEY_FILE);
    if (!existsSync(file)) return null;
    const publicKey = readFileSync(file, 'utf8').trim();
    try {
      return { ...parseReleaseKey(publicKey), publicKey };
    } catch (error) {
      this.warnOnce(file, `${RELEASE_KEY_FILE} is not an Ed25519 public key: ${(error as Error).message}`);
      return null;
    }
  }

  private async scan(key: ReleaseKey | null): Promise<Release[]> {
    if (!this.dir || !key) return [];
    const releases: Release[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.release.json')) continue;
      const release = await this.readRelease(name.slice(0, -'.release.json'.length), key);
      if (release) releases.push(release);
    }
    // Every version here is orderable (`read` skips the others): `?? 0` is never taken.
    return releases.sort((a, b) => (compareAgentVersions(b.manifest.version, a.manifest.version) ?? 0) || a.file.localeCompare(b.file));
  }

  /** The newest version of any build, or null. */
  latestVersion(): string | null {
    return this.list()[0]?.manifest.version ?? null;
  }

  /** The build of `version` (the newest when null) for a node that runs `kind` on `arch`. */
  find(version: string | null, kind: ArtifactKind, arch: string): Release | null {
    const wanted = kind === 'js' ? 'any' : arch;
    return this.list().find((r) => (version === null || r.manifest.version === version) && r.manifest.kind === kind && r.manifest.arch === wanted) ?? null;
  }

  bySha256(sha256: string): Release | null {
    return this.list().find((r) => r.manifest.sha256 === sha256) ?? null;
  }

  /** The build's bytes, for a download. */
  open(release: Release) {
    return createReadStream(join(this.dir!, release.file));
  }

  private async readRelease(file: string, key: ReleaseKey): Promise<Release | null> {
    const path = join(this.dir!, file);
    try {
      const release = SignedRelease.parse(JSON.parse(readFileSync(`${path}.release.json`, 'utf8')));
      if (!verifyManifestSignature(release.manifest, release.signature, key)) return this.skip(path, 'its manifest is not signed by release-key.pub');
      const manifest = ReleaseManifest.parse(JSON.parse(release.manifest));
      const stat = statSync(path);
      if (stat.size !== manifest.sizeBytes) return this.skip(path, `it has ${stat.size} bytes; its manifest says ${manifest.sizeBytes}`);
      if ((await this.sha256(path, stat)) !== manifest.sha256) return this.skip(path, "it does not hash to its manifest's SHA-256");
      return { file, manifest, release, path: `/agent/builds/${manifest.sha256}` };
    } catch (error) {
      return this.skip(path, (error as Error).message);
    }
  }

  private async sha256(path: string, stat: { mtimeMs: number; size: number }): Promise<string> {
    const cached = this.hashes.get(path);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.sha256;
    const { sha256 } = await hashFile(path);
    this.hashes.set(path, { mtimeMs: stat.mtimeMs, size: stat.size, sha256 });
    return sha256;
  }

  private skip(path: string, why: string): null {
    this.warnOnce(path, `a build in the releases folder is not offered: ${why}`);
    return null;
  }

  private warnOnce(path: string, message: string): void {
    if (this.warned.has(`${path}:${message}`)) return;
    this.warned.add(`${path}:${message}`);
    this.logger.warn(message, { file: path });
  }
}
