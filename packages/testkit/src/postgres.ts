import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './engine.js';
import { freePort } from './freePort.js';
import { waitFor } from './waitFor.js';

/** Where Debian's and Ubuntu's `postgresql` put the programs of the newest version installed (`LORMAS_POSTGRES_BIN` to choose). */
export const POSTGRES_BIN = process.env['LORMAS_POSTGRES_BIN'] ?? newestPostgresBin();

function newestPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name) && existsSync(`${root}/${name}/bin/initdb`)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0] ?? '15';
  return `${root}/${newest}/bin`;
}

export interface Postgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  url: string;
  port: number;
  readonly pid: number | null;
  /** A new, empty database on this server; resolves with its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

/**
 * PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
 * that Debian's package creates; as anyone else, to that user.
 */
function owner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const found = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error('running as root needs the "postgres" user (Debian\'s postgresql package creates it)');
  return { uid: Number(found.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * A private PostgreSQL 15 cluster in a temp folder on a loopback port, for tests: `initdb`
 * with trust authentication (it listens on 127.0.0.1 alone, and lives as long as the test),
 * then `postgres` itself as a child process, stopped by its process id.
 */
export async function startPostgres(): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'lormas-pg-'));
  const data = join(dir, 'data');
  const ids = owner();
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const as = ids ? { uid: ids.uid, gid: ids.gid } : {};
  const init = spawnSync(join(POSTGRES_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { encoding: 'utf8', ...as });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.error?.message ?? init.status}):\n${init.stderr}`);
  }
  const port = await freePort();
  const logFile = join(dir, 'postgres.log');
  const log = openSync(logFile, 'a');
  if (ids) chownSync(logFile, ids.uid, ids.gid);
  // fsync off: the cluster is thrown away with the test, and the machine's disk is shared.
  const child: ChildProcess = spawn(
    join(POSTGRES_BIN, 'postgres'),
    ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    { stdio: ['ignore', log, log], ...as },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const psql = (sql: string) => spawnSync(join(POSTGRES_BIN, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8', env: { ...process.env, PGUSER: 'postgres' } });
  const stop = async () => {
    // SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing waits for clients.
    await stopChild(child, 'SIGINT', 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => psql('SELECT 1').status === 0, { timeoutMs: 30_000, intervalMs: 100, what: `PostgreSQL on 127.0.0.1:${port}` });
  } catch (error) {
    await stop();
    throw new Error(`PostgreSQL did not start:\n${readFileSync(logFile, 'utf8').slice(-2_000)}`, { cause: error });
  }
  return {
    url,
    port,
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid! : null;
    },
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new TypeError(`createDatabase: "${name}" is not a plain database name`);
      const made = psql(`CREATE DATABASE ${name}`);
      if (made.status !== 0) throw new Error(`CREATE DATABASE ${name} failed: ${made.stderr}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
