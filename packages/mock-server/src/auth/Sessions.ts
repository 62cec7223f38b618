import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionStore } from '../store/SessionStore.js';

export interface SessionsOptions {
  store: SessionStore;
  adminToken: string;
  /** How long a session lasts from sign-in; it is not extended by use. @default 43_200_000 (12 hours, milliseconds) */
  sessionTtlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface Session {
  /** The raw id, from the cookie; never stored. */
  id: string;
  expiresAt: number;
  /** Sent back by the page as `X-CSRF-Token` on every call that changes something. */
  csrfToken: string;
}

const b64 = (buffer: Buffer) => buffer.toString('base64url');
const sha256 = (text: string) => b64(createHash('sha256').update(text, 'utf8').digest());

/** Whether two strings are equal, in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

/**
 * Dashboard sign-in sessions. The store keeps only a hash of each id, and a binding, an HMAC
 * of the id keyed by the admin token: a session opened under one admin token fails its
 * binding under any other, so changing the token ends every session, across restarts too.
 * The CSRF token is derived the same way, so it needs no storage.
 */
export class Sessions {
  readonly sessionTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionsOptions) {
    this.sessionTtlMs = options.sessionTtlMs ?? 12 * 3_600_000;
    if (!Number.isFinite(this.sessionTtlMs) || this.sessionTtlMs < 1_000) throw new TypeError('Sessions: options.sessionTtlMs must be a number of milliseconds >= 1000');
    this.now = options.now ?? Date.now;
  }

  /** Drops expired sessions (sessions of another admin token can never verify again; expired ones are of no use). */
  async sweep(): Promise<number> {
    return this.options.store.deleteExpired();
  }

  async open(): Promise<Session> {
    const id = b64(randomBytes(32));
    const expiresAt = this.now() + this.sessionTtlMs;
    await this.options.store.add({ idHash: sha256(id), binding: this.hmac('session', id), expiresAt });
    return { id, expiresAt, csrfToken: this.hmac('csrf', id) };
  }

  /** The live session of a cookie's id, or null (unknown, expired, or opened under another admin token). */
  async verify(id: string): Promise<Session | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const idHash = sha256(id);
    const row = await this.options.store.get(idHash);
    if (!row) return null;
    if (row.expiresAt <= this.now() || !sameSecret(row.binding, this.hmac('session', id))) {
      await this.options.store.delete(idHash);
      return null;
    }
    return { id, expiresAt: row.expiresAt, csrfToken: this.hmac('csrf', id) };
  }

  async close(id: string): Promise<void> {
    await this.options.store.delete(sha256(id));
  }

  private hmac(purpose: 'session' | 'csrf', id: string): string {
    return b64(createHmac('sha256', this.options.adminToken).update(`lormas-dashboard-${purpose}\0${id}`).digest());
  }
}
