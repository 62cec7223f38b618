import { EventEmitter } from 'node:events';
import type { KV } from '@nats-io/kv';
import { type BucketWatch, watchBucket } from './watchBucket.js';

export interface ReplicaRegistryOptions {
  /** The replicas bucket, made with `ttl: ttlMs`: the engine drops a key not renewed in time. */
  kv: KV;
  replicaId: string;
  /** A replica not heard of for this long is dead (milliseconds): the cluster's `replicaTtlMs`. */
  ttlMs: number;
  onError(error: unknown, where: string): void;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Which replicas of the cluster are alive. Each replica writes its key every third of the
 * TTL; every replica watches the bucket and judges a replica dead when it has not been
 * heard of for a TTL (a replica that closes deletes its key: dead at once). Like Nomad's
 * server heartbeats and Rancher's peer list, liveness is a lease that must be renewed,
 * so a replica killed without a word is noticed within one TTL.
 */
export class ReplicaRegistry extends EventEmitter<{ up: [replicaId: string]; down: [replicaId: string] }> {
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;
  private renewTimer: NodeJS.Timeout | null = null;
  private judgeTimer: NodeJS.Timeout | null = null;
  private watch: BucketWatch | null = null;
  /** While this replica cannot reach the engine it hears nobody: that is no sign of anyone's death. */
  private deaf = false;

  constructor(private readonly options: ReplicaRegistryOptions) {
    super();
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.renew();
    this.watch = watchBucket(
      this.options.kv,
      (entry) => {
        if (entry.operation !== 'PUT') return this.down(entry.key);
        // A key loaded with the first snapshot counts from when it was written, not from now.
        this.heard(entry.key, entry.isUpdate ? this.now() : Math.min(this.now(), entry.created.getTime()));
      },
      (error) => this.options.onError(error, 'replica watch'),
    );
    const period = Math.max(50, Math.floor(this.options.ttlMs / 3));
    this.renewTimer = setInterval(() => void this.renew(), period);
    this.judgeTimer = setInterval(() => this.judge(), Math.max(25, Math.floor(this.options.ttlMs / 6)));
    this.renewTimer.unref();
    this.judgeTimer.unref();
    await this.watch.ready;
  }

  isAlive(replicaId: string): boolean {
    if (replicaId === this.options.replicaId) return true;
    const at = this.seen.get(replicaId);
    return at !== undefined && (this.deaf || this.now() - at <= this.options.ttlMs);
  }

  /**
   * The engine connection dropped: nobody is judged dead until it is back. Were the others
   * judged by the silence of a cut-off engine, every replica would tear every other's nodes
   * away at once, as failover would fail over every node if the server itself were cut off.
   */
  suspend(): void {
    this.deaf = true;
  }

  /** The engine is back: everyone known gets a fresh TTL to be heard from again. */
  resume(): void {
    if (!this.deaf) return;
    this.deaf = false;
    const now = this.now();
    for (const replicaId of this.seen.keys()) this.seen.set(replicaId, now);
  }

  /** The replicas alive now, this one included. */
  alive(): string[] {
    return [...new Set([this.options.replicaId, ...[...this.seen.keys()].filter((id) => this.isAlive(id))])].sort();
  }

  /** Writes this replica's key again; also what a reconnect to the engine calls at once. */
  async renew(): Promise<void> {
    try {
      await this.options.kv.put(this.options.replicaId, JSON.stringify({ at: this.now() }));
    } catch (error) {
      this.options.onError(error, 'replica renewal');
    }
  }

  /** Stops renewing and deletes this replica's key, so peers know at once. */
  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.judgeTimer) clearInterval(this.judgeTimer);
    this.watch?.stop();
    await this.options.kv.delete(this.options.replicaId).catch(() => {});
  }

  private heard(replicaId: string, at: number): void {
    if (replicaId === this.options.replicaId) return;
    const wasAlive = this.isAlive(replicaId);
    this.seen.set(replicaId, Math.max(at, this.seen.get(replicaId) ?? -Infinity));
    if (!wasAlive && this.isAlive(replicaId)) this.emit('up', replicaId);
  }

  private down(replicaId: string): void {
    if (replicaId === this.options.replicaId || !this.seen.has(replicaId)) return;
    const wasAlive = this.isAlive(replicaId);
    this.seen.delete(replicaId);
    if (wasAlive) this.emit('down', replicaId);
  }

  private judge(): void {
    if (this.deaf) return;
    for (const [replicaId, at] of [...this.seen]) {
      if (this.now() - at > this.options.ttlMs) {
        this.seen.delete(replicaId);
        this.emit('down', replicaId);
      }
    }
  }
}
