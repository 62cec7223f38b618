import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterStore } from './ClusterStore.js';
import { ContainerStore } from './ContainerStore.js';
import { KeyStore } from './KeyStore.js';
import { MigrationStore } from './MigrationStore.js';
import { NodeStore } from './NodeStore.js';
import { MIGRATIONS } from './schema.js';
import { SessionStore } from './SessionStore.js';
import { StoreChanges } from './StoreChanges.js';

/** File name of the database inside the data folder. */
export const DATABASE_FILE = 'lormas-mock.sqlite';

export interface StoreOptions {
  /** Folder of the database file, created if missing; `null` keeps the database in memory. */
  dataDir: string | null;
  /** Clock for `created_at` and friends, epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** The mock server's state: one sqlite database, in memory or in a file. */
export class Store {
  readonly db: Database.Database;
  readonly keys: KeyStore;
  readonly clusters: ClusterStore;
  readonly nodes: NodeStore;
  readonly containers: ContainerStore;
  readonly migrations: MigrationStore;
  readonly sessions: SessionStore;
  /** Every write of nodes, clusters, containers and migrations, announced after it is done. */
  readonly changes = new StoreChanges();

  constructor(options: StoreOptions) {
    const now = options.now ?? Date.now;
    this.db = options.dataDir === null ? new Database(':memory:') : openPrivate(options.dataDir);
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.keys = new KeyStore(this.db, now);
    this.clusters = new ClusterStore(this.db, now, this.changes);
    this.nodes = new NodeStore(this.db, now, this.changes);
    this.containers = new ContainerStore(this.db, now, this.changes);
    this.migrations = new MigrationStore(this.db, now, this.changes);
    this.sessions = new SessionStore(this.db, now);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    this.db.transaction(() => {
      for (let next = version; next < MIGRATIONS.length; next++) this.db.exec(MIGRATIONS[next]!);
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    })();
  }
}

/**
 * Opens the database file in `dataDir` so that nobody but this user can read it: it holds
 * the key every node token is signed with. The folder is made (or tightened to) 0700, and
 * the database with its `-wal` and `-shm` files is created under a 077 umask, so 0600 from
 * the first byte (SQLite gives the journal files the database file's mode as well); a
 * database file left looser by an older version is tightened too.
 */
function openPrivate(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const file = join(dataDir, DATABASE_FILE);
  const umask = process.umask(0o077);
  try {
    const db = new Database(file);
    chmodSync(file, 0o600);
    // WAL keeps readers and the one writer apart; a crash loses at most the last transaction.
    db.pragma('journal_mode = WAL');
    return db;
  } finally {
    process.umask(umask);
  }
}
