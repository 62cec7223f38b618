import { EventEmitter } from 'node:events';
import type { KV, KvEntry } from '@nats-io/kv';
import { decodeKvKey, kvKey } from './clusterNames.js';
import { type BucketWatch, watchBucket } from './watchBucket.js';

export interface Owner {
  replicaId: string;
  /** The bucket revision of the claim: later claims have higher ones. */
  revision: number;
}

export interface NodeOwnershipOptions {
  kv: KV;
  replicaId: string;
  onError(error: unknown, where: string): void;
  /** Attempts of one claim when other replicas keep writing the key meanwhile. @default 8 */
  maxClaimAttempts?: number;
}

const decoder = new TextDecoder();

function ownerOf(entry: KvEntry): string | null {
  if (entry.operation !== 'PUT') return null;
  try {
    const value = JSON.parse(decoder.decode(entry.value)) as { replica?: unknown };
    return typeof value.replica === 'string' ? value.replica : null;
  } catch {
    return null;
  }
}

/** Whether the engine refused a write because the key moved on since it was read. */
function isStaleRevision(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? ''} ${((error as { cause?: Error })?.cause as Error)?.message ?? ''}`;
  return /wrong last sequence|key exists|10071|10164/i.test(text);
}

/**
 * Which replica holds each node's socket: one KV key per node, written with compare-and-set
 * (the revision read must still be the latest), so claims are ordered and the latest wins.
 * Every replica watches the bucket: a replica whose node is claimed by another learns it
 * from the watch, and closes its own, older socket of that node (4409).
 */
export class NodeOwnership extends EventEmitter<{ change: [nodeId: string, owner: string | null, previous: string | null] }> {
  private readonly owners = new Map<string, Owner>();
  private watch: BucketWatch | null = null;

  constructor(private readonly options: NodeOwnershipOptions) {
    super();
  }

  async start(): Promise<void> {
    this.watch = watchBucket(
      this.options.kv,
      (entry) => this.apply(decodeKvKey(entry.key), ownerOf(entry), entry.revision),
      (error) => this.options.onError(error, 'ownership watch'),
    );
    await this.watch.ready;
  }

  stop(): void {
    this.watch?.stop();
  }

  owner(nodeId: string): string | null {
    return this.owners.get(nodeId)?.replicaId ?? null;
  }

  /** The nodes `replicaId` holds, as far as this replica knows. */
  ownedBy(replicaId: string): string[] {
    return [...this.owners].filter(([, owner]) => owner.replicaId === replicaId).map(([nodeId]) => nodeId);
  }

  get size(): number {
    return this.owners.size;
  }

  /** Claims `nodeId` for this replica over whatever the bucket holds; resolves once written. */
  async claim(nodeId: string): Promise<void> {
    const { kv, replicaId } = this.options;
    const key = kvKey(nodeId);
    const value = JSON.stringify({ replica: replicaId, at: Date.now() });
    const attempts = this.options.maxClaimAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      const entry = await kv.get(key);
      try {
        const revision = entry ? await kv.update(key, value, entry.revision) : await kv.create(key, value);
        this.apply(nodeId, replicaId, revision);
        return;
      } catch (error) {
        if (!isStaleRevision(error) || attempt >= attempts) throw error;
      }
    }
  }

  /**
   * Deletes `nodeId`'s claim if `replicaId` still holds it at the revision this replica
   * knows: a dead replica's nodes, or this replica's own on a clean shutdown. Another
   * replica's newer claim is never undone.
   */
  async release(nodeId: string, replicaId: string): Promise<void> {
    const known = this.owners.get(nodeId);
    if (!known || known.replicaId !== replicaId) return;
    try {
      await this.options.kv.delete(kvKey(nodeId), { previousSeq: known.revision });
    } catch (error) {
      if (!isStaleRevision(error)) throw error;
    }
  }

  private apply(nodeId: string, replicaId: string | null, revision: number): void {
    const known = this.owners.get(nodeId);
    // The watch may deliver a claim this replica has already overtaken with its own.
    if (known && known.revision >= revision) return;
    const previous = known?.replicaId ?? null;
    if (replicaId === null) this.owners.delete(nodeId);
    else this.owners.set(nodeId, { replicaId, revision });
    if (previous !== replicaId) this.emit('change', nodeId, replicaId, previous);
  }
}
