import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlDatabase } from './SqlDatabase.js';

/** Why an exchange was refused, in the protocol's words (`JoinRefusalCode`). */
export type JoinRefusalReason = 'JOIN_CODE_UNKNOWN' | 'JOIN_CODE_EXPIRED' | 'JOIN_CODE_USED';

interface JoinCodeRow {
  code_hash: string;
  node_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  exchange_id: string | null;
  token: string | null;
}

const hashOf = (code: string) => createHash('sha256').update(code).digest('hex');

/** Bytes of randomness in a join code: 160 bits, beyond guessing even without the rate limit. */
const CODE_BYTES = 20;

/**
 * Single-use join codes. The database keeps a hash of each code, never the code. A node has at
 * most one live code: issuing another cancels the earlier one. The first exchange uses the code;
 * the same exchange id gets the same answer again until the code's expiry (a retry after a lost
 * answer), any other exchange is refused as `used`.
 */
export class JoinCodeStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}

  /** A new code for the node, valid for `ttlMs`; the node's earlier codes stop working. */
  async issue(nodeId: string, ttlMs: number): Promise<{ code: string; expiresAt: number }> {
    await this.forgetExpired();
    const code = randomBytes(CODE_BYTES).toString('base64url');
    const createdAt = this.now();
    const expiresAt = createdAt + ttlMs;
    await this.db.batch([
      { sql: 'DELETE FROM join_codes WHERE node_id = ? AND used_at IS NULL', params: [nodeId] },
      { sql: 'INSERT INTO join_codes (code_hash, node_id, created_at, expires_at) VALUES (?, ?, ?, ?)', params: [hashOf(code), nodeId, createdAt, expiresAt] },
    ]);
    return { code, expiresAt };
  }

  /**
   * Looks a code up for an exchange: `fresh` (unused and in its window: `claim` it),
   * `repeat` with the token already answered to this exchange id, or a refusal.
   */
  async lookup(
    code: string,
    exchangeId: string,
  ): Promise<{ kind: 'fresh'; nodeId: string } | { kind: 'repeat'; nodeId: string; token: string } | { kind: 'refused'; reason: JoinRefusalReason }> {
    // A read only: anyone may try a code, and a try must not cost a write. A kept token past its expiry is never answered (below).
    const row = await this.db.get<JoinCodeRow>('SELECT * FROM join_codes WHERE code_hash = ?', [hashOf(code)]);
    if (!row) return { kind: 'refused', reason: 'JOIN_CODE_UNKNOWN' };
    const live = this.now() < row.expires_at;
    if (row.used_at !== null) {
      if (live && row.token !== null && row.exchange_id !== null && sameText(row.exchange_id, exchangeId)) return { kind: 'repeat', nodeId: row.node_id, token: row.token };
      return { kind: 'refused', reason: live ? 'JOIN_CODE_USED' : 'JOIN_CODE_EXPIRED' };
    }
    if (!live) return { kind: 'refused', reason: 'JOIN_CODE_EXPIRED' };
    return { kind: 'fresh', nodeId: row.node_id };
  }

  /** Marks a fresh code used by `exchangeId` with `token`; false when another exchange used it first. */
  async claim(code: string, exchangeId: string, token: string): Promise<boolean> {
    await this.forgetExpired();
    const now = this.now();
    const result = await this.db.run('UPDATE join_codes SET used_at = ?, exchange_id = ?, token = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?', [
      now,
      exchangeId,
      token,
      hashOf(code),
      now,
    ]);
    return result.changes === 1;
  }

  /** Tokens are kept only while a retry may need them; rows stay, so a late try is told `expired`, not `unknown`. */
  private async forgetExpired(): Promise<void> {
    await this.db.run('UPDATE join_codes SET token = NULL WHERE token IS NOT NULL AND expires_at <= ?', [this.now()]);
  }
}

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}
