import {
  chmodSync,
  close as closeCallback,
  closeSync,
  constants,
  fstatSync,
  fsync as fsyncCallback,
  lstatSync,
  mkdirSync,
  open as openCallback,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rename as renameCallback,
  rmSync,
  writeFile as writeFileCallback,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/** The state folder cannot be used as it is; `main` names `STATE_DIR` and exits 2. */
export class StateDirError extends Error {
  override name = 'StateDirError';
}

/** Only the agent's user may list, read or write the folder: it will hold the node token too. */
const FOLDER_MODE = 0o700;
const FILE_MODE = 0o600;

// Not `node:fs/promises`: it loads `readline` and the folder watchers with it, memory the agent would hold for two calls (issue 16).
const rename = promisify(renameCallback);
const writeFile = promisify(writeFileCallback);
const open = promisify(openCallback);
const fsync = promisify(fsyncCallback);
const close = promisify(closeCallback);

/**
 * The agent's own folder on the host (`STATE_DIR`): small JSON files the agent keeps across
 * restarts and upgrades. Created 0700 if missing, tightened to 0700 if looser; refused when
 * it is a link (it could be pointed elsewhere between two writes) or belongs to another user.
 * Files are written whole to a temporary name, 0600, then renamed over the old one, so a
 * crash leaves the previous version or the new one, never half of one. A `durable` write also
 * reaches the disk before it resolves, for files another process acts on.
 */
export class StateDir {
  private constructor(readonly path: string) {}

  /** Opens (creating it if needed) the folder at `dir`; throws `StateDirError`. */
  static open(dir: string): StateDir {
    const folder = path.resolve(dir);
    const notAFolder = () => new StateDirError(`${folder} must be a folder, not a link or a file`);
    try {
      const existing = lstatSync(folder, { throwIfNoEntry: false });
      if (existing !== undefined && !existing.isDirectory()) throw notAFolder();
      mkdirSync(folder, { recursive: true, mode: FOLDER_MODE });
      const stat = lstatSync(folder);
      if (stat.isSymbolicLink() || !stat.isDirectory()) throw notAFolder();
      const uid = process.getuid?.();
      if (uid !== undefined && stat.uid !== uid) throw new StateDirError(`${folder} belongs to uid ${stat.uid}, not to this agent's user (${uid})`);
      if ((stat.mode & 0o777) !== FOLDER_MODE) chmodSync(folder, FOLDER_MODE);
    } catch (error) {
      if (error instanceof StateDirError) throw error;
      throw new StateDirError(`${folder} cannot be used: ${(error as Error).message}`, { cause: error });
    }
    removeDeadWritersFiles(folder, writerOfTemporary, (file) => writing.has(file));
    return new StateDir(folder);
  }

  /** The parsed content of `name`, or `undefined` when it is missing or not JSON. */
  read(name: string): unknown {
    try {
      return JSON.parse(readFileSync(path.join(this.path, name), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /**
   * The text of `name`, or `null` when it is missing, for a file another process (the agent,
   * for its launcher) writes: read only when it is a plain file (not a link, not a pipe that
   * would block the reader) of at most `maxBytes`; otherwise it throws, saying why.
   */
  readPlain(name: string, maxBytes: number): string | null {
    let fd: number;
    try {
      fd = openSync(path.join(this.path, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`it cannot be opened as a plain file (${(error as NodeJS.ErrnoException).code})`);
    }
    try {
      if (!fstatSync(fd).isFile()) throw new Error('it is not a plain file');
      // One byte more than allowed tells a file that is too large, whatever its size said when it was opened.
      const buffer = Buffer.alloc(maxBytes + 1);
      let length = 0;
      for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
      if (length > maxBytes) throw new Error(`it has more than ${maxBytes} bytes`);
      return buffer.toString('utf8', 0, length);
    } finally {
      closeSync(fd);
    }
  }

  /** Removes `name`; a missing file is no error. */
  remove(name: string): void {
    rmSync(path.join(this.path, name), { force: true });
  }

  /** A folder inside, created 0700 if missing. */
  folder(name: string): string {
    const folder = path.join(this.path, name);
    mkdirSync(folder, { recursive: true, mode: FOLDER_MODE });
    return folder;
  }

  /**
   * Replaces `name` with `value` as JSON. `durable`: the file's bytes are synced before the
   * rename and the folder after it, so a power cut leaves the old file or the whole new one (a
   * rename alone can land before the bytes it names). Off by default: the last-session record
   * is written every second and need not cost a sync each time.
   */
  async write(name: string, value: unknown, options: { durable?: boolean } = {}): Promise<void> {
    const target = path.join(this.path, name);
    const temporary = `${target}.${process.pid}.${++serial}.tmp`;
    writing.add(temporary);
    try {
      const fd = await open(temporary, 'w', FILE_MODE);
      try {
        await writeFile(fd, `${JSON.stringify(value)}\n`);
        if (options.durable) await fsync(fd);
      } finally {
        await close(fd);
      }
      await rename(temporary, target);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    } finally {
      writing.delete(temporary);
    }
    if (options.durable) await syncPath(this.path);
  }
}

/** `write`'s temporary names: the target, the writer's pid, a serial. */
const TEMPORARY = /\.([1-9]\d*)\.\d+\.tmp$/;
const writerOfTemporary = (name: string): number | undefined => {
  const pid = TEMPORARY.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
};

/** The serial of `write`'s temporary names, one for the process: two folders opened on one path never share a name. */
let serial = 0;
/** This process's temporary files being written now, whichever `StateDir` writes them. */
const writing = new Set<string>();

/**
 * Removes the temporary files that writers which have died left in `folder` (killed between
 * creating one and renaming it): nothing else would, and every restart at the wrong moment would
 * add one. `writerOf` reads a temporary file's writer's pid from its name (`undefined` for any
 * other file). A file of another process that lives is left alone: the launcher and its agent
 * share the state folder. A file with this process's pid is stale unless `inFlight` says this
 * process is writing it: in a container the agent is pid 1 at every start, as its dead
 * predecessor was. Whether a writer lives is judged by its pid in this process's pid namespace:
 * a writer in another namespace sharing the folder would look dead. Best effort: a file that
 * cannot be removed stays, and the folder is used all the same.
 */
export function removeDeadWritersFiles(folder: string, writerOf: (name: string) => number | undefined, inFlight: (file: string) => boolean): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = writerOf(name);
    if (pid === undefined || !Number.isSafeInteger(pid) || pid < 1) continue;
    const file = path.join(folder, name);
    try {
      if (pid === process.pid ? !inFlight(file) : !processExists(pid)) rmSync(file, { force: true });
    } catch {
      // This one stays, as it would have; the others are still looked at.
    }
  }
}

/** Whether a process with this pid exists (one of another user's counts: signalling it is refused, not unknown). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Syncs a file's bytes, or a folder's entries (a rename in it), to disk. */
export async function syncPath(file: string): Promise<void> {
  const fd = await open(file, 'r');
  try {
    await fsync(fd);
  } finally {
    await close(fd);
  }
}
