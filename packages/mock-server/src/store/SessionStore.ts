import type Database from 'better-sqlite3';

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
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {}

  add(row: Omit<SessionRow, 'createdAt'>): SessionRow {
    const record = { ...row, createdAt: this.now() };
    this.db.prepare('INSERT INTO sessions (id_hash, binding, created_at, expires_at) VALUES (?, ?, ?, ?)').run(record.idHash, record.binding, record.createdAt, record.expiresAt);
    return record;
  }

  get(idHash: string): SessionRow | null {
    const row = this.db.prepare('SELECT * FROM sessions WHERE id_hash = ?').get(idHash) as Row | undefined;
    return row ? { idHash: row.id_hash, binding: row.binding, createdAt: row.created_at, expiresAt: row.expires_at } : null;
  }

  delete(idHash: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
  }

  /** Drops expired sessions; returns how many. */
  deleteExpired(): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(this.now()).changes;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  }
}
