import { chmodSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CompactJwt } from '@lormas/protocol';
import { removeDeadWritersFiles } from '../StateDir.js';

/** The token file cannot be used; `main` names TOKEN_FILE and exits 2. */
export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

/** The node token is the agent's alone: no one else may read it. */
const TOKEN_MODE = 0o600;

/**
 * Reads the node token from its file; `null` when there is none. The file must be a plain
 * file (not a link, which could be pointed at another file) of the agent's own user; one
 * readable by others is tightened to 0600. Its content must be a compact JWT.
 */
export function readTokenFile(file: string): string | null {
  let stat;
  try {
    stat = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TokenFileError(`${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!stat.isFile()) throw new TokenFileError(`${file} must be a plain file, not a link or a folder`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) throw new TokenFileError(`${file} belongs to uid ${stat.uid}, not to this agent's user (${uid}): chown it to the agent's user, mode 0600`);
  if ((stat.mode & 0o777) !== TOKEN_MODE) chmodSync(file, TOKEN_MODE);
  const token = readFileSync(file, 'utf8').trim();
  // Never repeat the content: it is the token, or something that was meant to be.
  if (!CompactJwt.safeParse(token).success) throw new TokenFileError(`${file} does not hold a node token (a compact JWT)`);
  return token;
}

/**
 * Writes the token whole, 0600 from the first byte, to a temporary name renamed over the file.
 * Temporary files that crashed writers left beside it (each holds a token, or part of one) go
 * first, as far as they can (`removeDeadWritersFiles`): those of pids no longer alive, and this
 * process's own pid's (always 1 in a container), which would block the write and must go.
 */
export function writeTokenFile(file: string, token: string): void {
  if (!CompactJwt.safeParse(token).success) throw new TokenFileError('the token to keep is not a compact JWT');
  const temporary = tokenTemporary(file, process.pid);
  // Writes here are synchronous: none of this process's is in flight.
  removeDeadWritersFiles(path.dirname(file), tokenWriterOf(file), () => false);
  try {
    rmSync(temporary, { force: true });
    writeFileSync(temporary, `${token}\n`, { mode: TOKEN_MODE, flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    try {
      // A copy of the token must not stay behind a rename that failed.
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was written there, or it cannot be removed: the sweep of the next write tries again.
    }
    throw new TokenFileError(`${file} cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

/**
 * The name `writeTokenFile` writes `file` under first. Not `file.<pid>.tmp`: with a TOKEN_FILE
 * whose name ends in `.<digits>` inside the state folder, that would read as one of StateDir's
 * temporary names (`<target>.<pid>.<serial>.tmp`), and the launcher opening the folder could
 * take a write in flight for a dead writer's.
 */
export function tokenTemporary(file: string, pid: number): string {
  return `${file}.${pid}.token.tmp`;
}

/** The pid in a temporary name `writeTokenFile` gives `file` (`file.<pid>.token.tmp`, or `file.<pid>.tmp` before). */
function tokenWriterOf(file: string): (name: string) => number | undefined {
  const prefix = `${path.basename(file)}.`;
  return (name) => {
    if (!name.startsWith(prefix)) return undefined;
    const pid = /^([1-9]\d*)(\.token)?\.tmp$/.exec(name.slice(prefix.length))?.[1];
    return pid === undefined ? undefined : Number(pid);
  };
}
