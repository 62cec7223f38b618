import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { requestServer } from '../serverHttp.js';
import { syncPath } from '../StateDir.js';
import { ReleaseError, ReleaseRule } from './ReleaseError.js';

export interface DownloadOptions {
  /** On the origin of the server the agent is connected to. */
  url: URL;
  token: string;
  ca?: string[];
  /** The manifest's size: more bytes than this end the download. */
  sizeBytes: number;
  sha256: string;
  /** Where the verified build goes; it is written to `<dest>.partial` first. */
  dest: string;
  /** 0o700 for an executable, 0o600 for a file a runtime reads. */
  mode: number;
  /** The download fails if it stalls this long. @default 60_000 (milliseconds) */
  idleTimeoutMs?: number;
  /** Syncs a file's bytes or a folder's entries to disk. @default `syncPath` */
  sync?: (file: string) => Promise<void>;
}

/**
 * Downloads a build from the server's own origin into the builds folder, hashing as it
 * writes: it stops at the first byte past the manifest's size, and keeps the file only if
 * its size and SHA-256 are the manifest's. Throws `ReleaseError` (`release-download`,
 * `release-size`, `release-hash`); nothing is left behind on failure. A kept build is on disk
 * before this resolves, bytes and name: the agent then asks its launcher to start it, in a
 * request that is itself synced, and after a power cut the build it names must be there whole.
 */
export async function downloadBuild(options: DownloadOptions): Promise<void> {
  const partial = `${options.dest}.partial`;
  try {
    const res = await requestServer(options.url, {
      method: 'GET',
      headers: { authorization: `Bearer ${options.token}` },
      ca: options.ca,
      timeoutMs: options.idleTimeoutMs ?? 60_000,
    }).catch((error: unknown) => {
      throw new ReleaseError(ReleaseRule.download, `the build could not be downloaded from the server: ${(error as Error).message}`);
    });
    if (res.statusCode !== 200) {
      res.resume();
      throw new ReleaseError(ReleaseRule.download, `the server answered the build's download with HTTP ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared !== options.sizeBytes) {
      res.destroy();
      throw new ReleaseError(ReleaseRule.size, `the server offers ${declared} bytes; the manifest says ${options.sizeBytes}`);
    }
    const hash = createHash('sha256');
    const out = createWriteStream(partial, { mode: options.mode, flags: 'w' });
    // A full disk or a refused write ends the download (the loop below throws it), never the process.
    out.on('error', (error) => res.destroy(error));
    let received = 0;
    try {
      for await (const chunk of res) {
        received += (chunk as Buffer).length;
        if (received > options.sizeBytes) {
          res.destroy();
          throw new ReleaseError(ReleaseRule.size, `the download passed the manifest's ${options.sizeBytes} bytes`);
        }
        hash.update(chunk as Buffer);
        if (!out.write(chunk)) await once(out, 'drain');
      }
    } catch (error) {
      if (error instanceof ReleaseError) throw error;
      throw new ReleaseError(ReleaseRule.download, `the download broke off: ${(error as Error).message}`);
    } finally {
      out.end();
      await finished(out).catch(() => undefined);
    }
    if (received !== options.sizeBytes) throw new ReleaseError(ReleaseRule.size, `the download has ${received} bytes; the manifest says ${options.sizeBytes}`);
    if (hash.digest('hex') !== options.sha256) throw new ReleaseError(ReleaseRule.hash, "the downloaded build does not hash to its manifest's SHA-256");
    const sync = options.sync ?? syncPath;
    let renamed = false;
    try {
      await sync(partial);
      renameSync(partial, options.dest);
      renamed = true;
      await sync(path.dirname(options.dest));
    } catch (error) {
      // Only a file this download put there: a build of the same name may be one the launcher falls back to.
      if (renamed) rmSync(options.dest, { force: true });
      throw new ReleaseError(ReleaseRule.download, `the build could not be kept on disk: ${(error as Error).message}`);
    }
  } finally {
    rmSync(partial, { force: true });
  }
}
