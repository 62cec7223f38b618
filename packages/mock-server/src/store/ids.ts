import { randomBytes } from 'node:crypto';

/** A new id such as `node_3k9x...`: a readable prefix and 80 random bits in base32-ish letters. */
export function newId(prefix: 'node' | 'cl' | 'ctr' | 'op' | 'key' | 'mig' | 'ro'): string {
  return `${prefix}_${randomBytes(10).toString('base64url').replace(/[-_]/g, 'x').toLowerCase()}`;
}
