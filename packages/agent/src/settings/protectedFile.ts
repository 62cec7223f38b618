import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Why a root-owned file cannot be trusted as one. */
export class ProtectedFileError extends Error {
  override name = 'ProtectedFileError';
}

/**
 * Reads a file that only root may change: the file and every folder above it (links
 * resolved) must belong to root and be writable by nobody else, so neither the agent nor
 * anyone but root can change it or put another file in its place. A world-writable folder
 * with the sticky bit (`/tmp`) passes: there, only a file's owner may rename or remove it.
 * Unless the agent runs as root itself, it must not be able to write the file (an ACL could
 * allow it). Throws `ProtectedFileError` naming the path and what is wrong.
 */
export function readProtectedFile(file: string): string {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (error) {
    throw new ProtectedFileError(`${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  for (let at = real; ; at = path.dirname(at)) {
    const stat = statSync(at);
    if (stat.uid !== 0) throw new ProtectedFileError(`${at} belongs to uid ${stat.uid}, not to root: the agent's protected settings must be root's alone`);
    const sticky = stat.isDirectory() && (stat.mode & 0o1000) !== 0;
    if ((stat.mode & 0o022) !== 0 && !sticky) throw new ProtectedFileError(`${at} is writable by its group or by others (mode ${(stat.mode & 0o7777).toString(8)}): only root may change it`);
    if (at === path.dirname(at)) break;
  }
  if (process.getuid?.() !== 0) {
    let writable = true;
    try {
      accessSync(real, constants.W_OK);
    } catch {
      writable = false;
    }
    if (writable) throw new ProtectedFileError(`${file} is writable by the agent's own user: only root may change it`);
  }
  return readFileSync(real, 'utf8');
}
