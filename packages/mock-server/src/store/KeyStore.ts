import type { SqlDatabase } from './SqlDatabase.js';

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
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}

  /**
   * The key in use: the first one ever stored. Replicas that start together on an empty
   * database may each store one; all of them then use the same first key.
   */
  async current(): Promise<KeyRecord | null> {
    const row = await this.db.get<KeyRow>(`SELECT * FROM signing_keys ORDER BY created_at, ${this.db.dialect === 'sqlite' ? 'rowid' : 'seq'} LIMIT 1`);
    return row ? { kid: row.kid, alg: row.alg, privateJwk: row.private_jwk, publicJwk: row.public_jwk, createdAt: row.created_at } : null;
  }

  async add(key: Omit<KeyRecord, 'createdAt'>): Promise<KeyRecord> {
    const record = { ...key, createdAt: this.now() };
    await this.db.run('INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)', [record.kid, record.alg, record.privateJwk, record.publicJwk, record.createdAt]);
    return record;
  }
}
