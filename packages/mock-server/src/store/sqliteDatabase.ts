import type Database from 'better-sqlite3';
import type { SqlDatabase, Statement } from './SqlDatabase.js';

/**
 * The store's database in one process: better-sqlite3, which is synchronous. Each call runs
 * at once and hands back a settled promise, so a write is done before the caller's next line,
 * as it was before the store became asynchronous.
 */
export function sqliteDatabase(db: Database.Database): SqlDatabase {
  const run = (statement: Statement) => ({ changes: db.prepare(statement.sql).run(...(statement.params ?? [])).changes });
  return {
    dialect: 'sqlite',
    all: async <T>(sql: string, params: readonly unknown[] = []) => db.prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => db.prepare(sql).get(...params) as T | undefined,
    run: async (sql, params = []) => run({ sql, params }),
    batch: async (statements) => db.transaction(() => statements.map(run))(),
    close: async () => {
      if (db.open) db.close();
    },
  };
}
