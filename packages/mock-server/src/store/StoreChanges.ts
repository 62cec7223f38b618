import { EventEmitter } from 'node:events';
import type { ContainerRecord } from './ContainerStore.js';

/** What can happen to a node's record: its `node` live events with these actions carry a new record. */
export const NODE_RECORD_ACTIONS = ['registered', 'updated', 'revoked'] as const;

/**
 * One change written to the store. The live event stream is built from these, so every
 * writer (the API, failover, migrations, inventory reconciliation) is seen without each
 * having to announce what it did.
 */
export type StoreChange =
  | { kind: 'node'; action: (typeof NODE_RECORD_ACTIONS)[number]; id: string }
  | { kind: 'cluster'; action: 'created' | 'updated' | 'deleted'; id: string }
  | { kind: 'container'; action: 'created' | 'updated' | 'removed'; id: string; before: ContainerRecord | null; after: ContainerRecord | null }
  | { kind: 'migration'; action: 'started' | 'updated' | 'finished'; id: string };

/** Where the stores announce their writes, after each write is done. */
export class StoreChanges extends EventEmitter<{ change: [StoreChange] }> {
  /** Announces a change; a listener that throws is the listener's bug and never fails the write. */
  announce(change: StoreChange): void {
    for (const listener of this.listeners('change')) {
      try {
        listener(change);
      } catch {
        // The write is done; a broken observer must not undo or fail it.
      }
    }
  }
}
