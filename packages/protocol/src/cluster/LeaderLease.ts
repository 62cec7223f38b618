import { EventEmitter } from 'node:events';
import type { KV } from '@nats-io/kv';

export interface LeaderLeaseOptions {
  /** A bucket made with `ttl: ttlMs` (the cluster's leases bucket): an unrenewed lease expires in the engine. */
  kv: KV;
  /** The lease's key, e.g. `failover`. */
  name: string;
  /** Who takes the lease: this replica's id. */
  holder: string;
  /** The lease's TTL (milliseconds): the cluster's `replicaTtlMs`, the TTL of its leases bucket. */
  ttlMs: number;
  onError(error: unknown, where: string): void;
  /** A monotonic clock. @default performance.now */
  now?: () => number;
}

const decoder = new TextDecoder();

/**
 * A lease in the engine that one replica at a time holds: the leader. The holder renews it
 * every third of the TTL with compare-and-set on its own revision; the others try to create
 * it as often, which succeeds only once it is gone (the engine drops a lease not renewed
 * within the TTL). A holder that cannot renew for a TTL (the engine unreachable, or another
 * replica took over) steps down by its own clock, before anyone else can have taken over,
 * as Nomad's leader steps down when it loses its Raft quorum.
 */
export class LeaderLease extends EventEmitter<{ acquired: []; lost: [] }> {
  private revision: number | null = null;
  private renewedAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private known: string | null = null;
  private readonly now: () => number;

  constructor(private readonly options: LeaderLeaseOptions) {
    super();
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Whether this replica leads now: it holds the lease and renewed it less than 90 % of the
   * TTL ago, by its own clock. Time-bounded, not only the last round's outcome: a renewal can
   * hang while the engine is unreachable, and a leader cut off from the engine must stop
   * judging before another can have taken over (it cannot see the nodes of other replicas).
   */
  get isLeader(): boolean {
    if (this.revision === null) return false;
    if (this.now() - this.renewedAt < this.options.ttlMs * 0.9) return true;
    this.step(false);
    return false;
  }

  /** The holder as last read: this replica's id while it leads. */
  get leader(): string | null {
    return this.isLeader ? this.options.holder : this.known;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
    void this.tick();
  }

  /** Steps down and deletes the lease, so another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    const revision = this.revision;
    this.step(false);
    if (revision !== null) await this.options.kv.delete(this.options.name, { previousSeq: revision }).catch(() => {});
  }

  /** One round: renew or try to take the lease. Exposed for tests. */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = null));
    return this.running;
  }

  private async round(): Promise<void> {
    const { kv, name, holder, ttlMs } = this.options;
    const value = JSON.stringify({ holder });
    const startedAt = this.now();
    try {
      if (this.revision !== null) {
        const revision = await kv.update(name, value, this.revision, Math.max(50, Math.floor(ttlMs / 3)));
        // Stepped down while the renewal hung: the lease lapses in the engine, and is taken again by whoever creates it first.
        if (this.revision === null) return;
        this.revision = revision;
        this.renewedAt = startedAt;
      } else {
        const revision = await kv.create(name, value);
        this.revision = revision;
        this.renewedAt = startedAt;
        this.step(true);
      }
    } catch (error) {
      if (this.revision !== null && this.now() - this.renewedAt >= ttlMs * 0.9) {
        // Stepping down a little before the TTL: the engine's clock and ours may differ.
        this.step(false);
      } else if (this.revision === null) {
        await this.read();
      } else if (!/wrong last sequence|key exists/i.test(String((error as Error)?.message))) {
        this.options.onError(error, `lease ${name}`);
      } else {
        // The lease is someone else's: it expired in the engine and was taken.
        this.step(false);
      }
    }
  }

  private async read(): Promise<void> {
    try {
      const entry = await this.options.kv.get(this.options.name);
      this.known = entry && entry.operation === 'PUT' ? ((JSON.parse(decoder.decode(entry.value)) as { holder?: string }).holder ?? null) : null;
    } catch {
      this.known = null;
    }
  }

  private step(leading: boolean): void {
    if (leading) {
      this.known = this.options.holder;
      this.emit('acquired');
      return;
    }
    const was = this.revision !== null;
    this.revision = null;
    this.known = null;
    if (was) this.emit('lost');
  }
}
