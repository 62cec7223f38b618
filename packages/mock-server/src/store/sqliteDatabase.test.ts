import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sqliteDatabase } from './sqliteDatabase.js';

/** An in-memory database whose `prepare` calls are counted. */
function counted() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
  let prepared = 0;
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => (prepared++, prepare(sql))) as typeof db.prepare;
  return { db, prepared: () => prepared };
}

describe('sqliteDatabase', () => {
  it('prepares a statement once however often it runs', async () => {
    const { db, prepared } = counted();
    const sql = sqliteDatabase(db);
    for (let i = 0; i < 10; i++) await sql.run('INSERT INTO t (name) VALUES (?)', [`n${i}`]);
    for (let i = 0; i < 10; i++) assert.equal((await sql.get<{ name: string }>('SELECT name FROM t WHERE id = ?', [i + 1]))?.name, `n${i}`);
    assert.equal((await sql.all('SELECT * FROM t')).length, 10);
    assert.equal(prepared(), 3);
    await sql.close();
  });

  it('keeps at most maxCachedStatements, dropping the oldest', async () => {
    const { db, prepared } = counted();
    const sql = sqliteDatabase(db, { maxCachedStatements: 2 });
    await sql.all('SELECT 1');
    await sql.all('SELECT 2');
    await sql.all('SELECT 3');
    assert.equal(prepared(), 3);
    await sql.all('SELECT 3');
    await sql.all('SELECT 2');
    assert.equal(prepared(), 3, 'the two newest are kept');
    await sql.all('SELECT 1');
    assert.equal(prepared(), 4, 'the oldest was dropped');
    await sql.close();
  });

  it('refuses a cache bound that is not a whole number >= 0', () => {
    assert.throws(() => sqliteDatabase(new Database(':memory:'), { maxCachedStatements: -1 }), /maxCachedStatements/);
  });
});
