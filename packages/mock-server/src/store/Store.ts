import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterStore } from './ClusterStore.js';
import { ContainerStore } from './ContainerStore.js';
import { KeyStore } from './KeyStore.js';
import { MigrationStore } from './MigrationStore.js';
import { NodeStore } from './NodeStore.js';
import { postgresDatabase } from './postgresDatabase.js';
import { POSTGRES_MIGRATIONS } from './postgresSchema.js';
import { MIGRATIONS } from './schema.js';
import { SessionStore } from './SessionStore.js';
import type { SqlDatabase } from './SqlDatabase.js';
import { sqliteDatabase } from './sqliteDatabase.js';
import { StoreChanges } from './StoreChanges.js';

/** File name of the database inside the data folder. */
export const DATABASE_FILE = 'lormas-mock.sqlite';

export interface StoreOptions {
  /** Folder of the database file, created if missing; `null` keeps the database in memory. */
  dataDir: string | null;
  /** Clock for `created_at` and friends, epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** A lock id of this schema's migrations in PostgreSQL: replicas starting together migrate one at a time. */
const MIGRATION_LOCK = 0x6c6f726d;

/**
 * The mock server's state: tokens' signing key, nodes, clusters, containers, migration
 * history and sessions. One sqlite database (in memory or in a file) for a single process,
 * or PostgreSQL shared by the replicas of a cluster (`Store.connect`); the same statements
 * and the same asynchronous interface either way.
 */
export class Store {
  readonly db: SqlDatabase;
  readonly keys: KeyStore;
  readonly clusters: ClusterStore;
  readonly nodes: NodeStore;
  readonly containers: ContainerStore;
  readonly migrations: MigrationStore;
  readonly sessions: SessionStore;
  /** Every write of nodes, clusters, containers and migrations made through this store, announced after it is done. */
  readonly changes = new StoreChanges();

  /** A sqlite store, ready at once. */
  constructor(options: StoreOptions | { database: SqlDatabase; now?: () => number }) {
    const now = options.now ?? Date.now;
    if ('database' in options) this.db = options.database;
    else {
      const db = options.dataDir === null ? new Database(':memory:') : openPrivate(options.dataDir);
      db.pragma('foreign_keys = ON');
      migrateSqlite(db);
      this.db = sqliteDatabase(db);
    }
    this.keys = new KeyStore(this.db, now);
    this.clusters = new ClusterStore(this.db, now, this.changes);
    this.nodes = new NodeStore(this.db, now, this.changes);
    this.containers = new ContainerStore(this.db, now, this.changes);
    this.migrations = new MigrationStore(this.db, now, this.changes);
    this.sessions = new SessionStore(this.db, now);
  }

  /** A PostgreSQL store (`postgres://...`), its schema migrated forward first. */
  static async connect(options: { databaseUrl: string; now?: () => number; maxConnections?: number }): Promise<Store> {
    const database = postgresDatabase({ url: options.databaseUrl, maxConnections: options.maxConnections });
    try {
      await migratePostgres(database.pool);
    } catch (error) {
      await database.close();
      throw error;
    }
    return new Store({ database, now: options.now });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function migrateSqlite(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (let next = version; next < MIGRATIONS.length; next++) db.exec(MIGRATIONS[next]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

async function migratePostgres(pool: ReturnType<typeof postgresDatabase>['pool']): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const version = rows[0]?.version ?? 0;
    if (version < POSTGRES_MIGRATIONS.length) {
      await client.query('BEGIN');
      for (let next = version; next < POSTGRES_MIGRATIONS.length; next++) await client.query(POSTGRES_MIGRATIONS[next]!);
      await client.query('DELETE FROM schema_version');
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [POSTGRES_MIGRATIONS.length]);
      await client.query('COMMIT');
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
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
