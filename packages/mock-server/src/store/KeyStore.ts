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
   *
   * First in the order of storing, not by `created_at`: that is the writing replica's clock,
   * and a replica whose clock ran behind, storing its key a moment after another had read its
   * own back, would have made the two sign with different keys (tokens of one refused by the
   * other) at any skew larger than the moment between the two writes. No clock is read in
   * the choice, so it holds whatever the replicas' clocks say; `created_at` is for people.
   */
  async current(): Promise<KeyRecord | null> {
    const row = await this.db.get<KeyRow>(`SELECT * FROM signing_keys ORDER BY ${this.db.dialect === 'sqlite' ? 'rowid' : 'seq'} LIMIT 1`);
    return row ? { kid: row.kid, alg: row.alg, privateJwk: row.private_jwk, publicJwk: row.public_jwk, createdAt: row.created_at } : null;
  }

  async add(key: Omit<KeyRecord, 'createdAt'>): Promise<KeyRecord> {
    const record = { ...key, createdAt: this.now() };
    const insert = { sql: 'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)', params: [record.kid, record.alg, record.privateJwk, record.publicJwk, record.createdAt] };
    // PostgreSQL hands out `seq` before the insert commits, so two inserts could commit in the
    // other order: a replica reading back after its own commit would not see the lower `seq`
    // still to come. One insert at a time (the lock lasts to the commit) keeps the order of
    // `seq` the order in which keys become visible. sqlite takes one writer at a time anyway.
    if (this.db.dialect === 'postgres') await this.db.batch([{ sql: 'LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE' }, insert]);
    else await this.db.run(insert.sql, insert.params);
    return record;
  }
}
