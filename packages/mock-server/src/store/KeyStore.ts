import type Database from 'better-sqlite3';

export interface KeyRecord {
  kid: string;
  alg: string;
  privateJwk: string;
  publicJwk: string;
  createdAt: number;
}

interface KeyRow {
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
}

/** The token-signing key, kept beside the node registry so tokens outlive a restart. */
export class KeyStore {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {}

  /** The newest key, or null before the first one is made. */
  current(): KeyRecord | null {
    const row = this.db.prepare('SELECT * FROM signing_keys ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as KeyRow | undefined;
    return row ? { kid: row.kid, alg: row.alg, privateJwk: row.private_jwk, publicJwk: row.public_jwk, createdAt: row.created_at } : null;
  }

  add(key: Omit<KeyRecord, 'createdAt'>): KeyRecord {
    const record = { ...key, createdAt: this.now() };
    this.db
      .prepare('INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(record.kid, record.alg, record.privateJwk, record.publicJwk, record.createdAt);
    return record;
  }
}
