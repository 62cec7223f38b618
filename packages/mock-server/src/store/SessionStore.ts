import type { SqlDatabase } from './SqlDatabase.js';

export interface SessionRow {
  /** SHA-256 of the session id, base64url: the id itself is never stored. */
  idHash: string;
  /** Ties the session to the admin token it was opened with (see `sessionBinding`). */
  binding: string;
  createdAt: number;
  expiresAt: number;
}

interface Row {
  id_hash: string;
  binding: string;
  created_at: number;
  expires_at: number;
}

/** Dashboard sessions, in the database so they survive a restart that keeps the admin token. */
export class SessionStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}

  async add(row: Omit<SessionRow, 'createdAt'>): Promise<SessionRow> {
    const record = { ...row, createdAt: this.now() };
    await this.db.run('INSERT INTO sessions (id_hash, binding, created_at, expires_at) VALUES (?, ?, ?, ?)', [record.idHash, record.binding, record.createdAt, record.expiresAt]);
    return record;
  }

  async get(idHash: string): Promise<SessionRow | null> {
    const row = await this.db.get<Row>('SELECT * FROM sessions WHERE id_hash = ?', [idHash]);
    return row ? { idHash: row.id_hash, binding: row.binding, createdAt: row.created_at, expiresAt: row.expires_at } : null;
  }

  async delete(idHash: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
  }

  /** Drops expired sessions; returns how many. */
  async deleteExpired(): Promise<number> {
    return (await this.db.run('DELETE FROM sessions WHERE expires_at <= ?', [this.now()])).changes;
  }

  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions'))!.n;
  }
}
