import pg from 'pg';
import type { SqlDatabase, Statement } from './SqlDatabase.js';

/** `?` placeholders as PostgreSQL's `$1, $2...`; the store's statements hold no `?` in text. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// Epoch milliseconds live in BIGINT columns; pg hands BIGINT back as strings unless told.
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Connections in the pool. @default 10 (connections) */
  maxConnections?: number;
}

/** The store's database when replicas share their state: a pool of PostgreSQL connections. */
export function postgresDatabase(options: PostgresDatabaseOptions): SqlDatabase & { pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10, types });
  // An idle connection that the server drops (a restart) is replaced; it must not crash the process.
  pool.on('error', () => {});
  const query = async <T>(sql: string, params: readonly unknown[] = []) => (await pool.query(numberedPlaceholders(sql), params as unknown[])).rows as T[];
  return {
    dialect: 'postgres',
    pool,
    all: query,
    get: async <T>(sql: string, params?: readonly unknown[]) => (await query<T>(sql, params))[0],
    run: async (sql, params = []) => ({ changes: (await pool.query(numberedPlaceholders(sql), params as unknown[])).rowCount ?? 0 }),
    batch: async (statements: readonly Statement[]) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const results: { changes: number }[] = [];
        for (const statement of statements) results.push({ changes: (await client.query(numberedPlaceholders(statement.sql), (statement.params ?? []) as unknown[])).rowCount ?? 0 });
        await client.query('COMMIT');
        return results;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
