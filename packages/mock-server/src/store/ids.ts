import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** What an id names: a node, a cluster, a container, an operation, a signing key, a migration, a rollout. */
export type IdPrefix = 'node' | 'cl' | 'ctr' | 'op' | 'key' | 'mig' | 'ro';

/** A new id such as `node_3k9x...`: a readable prefix and 80 random bits in base32-ish letters. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(10).toString('base64url').replace(/[-_]/g, 'x').toLowerCase()}`;
}

/** An id as `newId(prefix)` makes it, for schemas that check what the server made (views, stored rows). */
export function idOf(prefix: IdPrefix): z.ZodString {
  return z.string().regex(new RegExp(`^${prefix}_[a-z0-9]{14}$`));
}
