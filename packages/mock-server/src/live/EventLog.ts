import { randomBytes } from 'node:crypto';

/** One entry of the live stream: an SSE event name, its id, and its JSON data. */
export interface LiveEvent {
  /** `<epoch>.<seq>`: the epoch changes with every server start, so an id from before a restart is unknown. */
  id: string;
  type: string;
  data: unknown;
}

export interface EventLogOptions {
  /**
   * How many recent events a reconnecting reader can resume from, each counted by its weight.
   * @default 1_000 (events of weight 1)
   */
  capacity?: number;
  /**
   * An event's weight against `capacity`: an event that carries a batch of many (the
   * heartbeats of a hundred nodes) counts as that many, so the replay buffer holds about as
   * much data whatever the batching. At least 1.
   * @default every event weighs 1
   */
  weigh?: (type: string, data: unknown) => number;
  /** Names this server run in every id. @default random */
  epoch?: string;
}

/** What a reader resuming after `lastEventId` gets: the events it missed, or `reset` when they are gone. */
export type Replay = { kind: 'events'; events: LiveEvent[] } | { kind: 'reset'; reason: 'unknown-epoch' | 'too-far-behind' | 'malformed' };

/**
 * The live stream's bounded replay buffer. Every event gets the next id; the newest events
 * are kept, up to `capacity` by their weight, so a reader that reconnects with the last id it saw gets
 * exactly what it missed, or a `reset` when the server no longer holds it.
 */
export class EventLog {
  readonly epoch: string;
  protected readonly capacity: number;
  private readonly weigh: (type: string, data: unknown) => number;
  /** The newest events, each with its weight; `ringWeight` is their sum. */
  private readonly ring: { event: LiveEvent; weight: number }[] = [];
  private ringWeight = 0;
  private seq = 0;
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private readonly observers = new Set<(event: LiveEvent) => void>();

  constructor(options: EventLogOptions = {}) {
    this.capacity = options.capacity ?? 1_000;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new TypeError('EventLog: options.capacity must be a whole number of events >= 1');
    this.epoch = options.epoch ?? randomBytes(6).toString('base64url');
    this.weigh = options.weigh ?? (() => 1);
  }

  /** The id of the newest event, or `<epoch>.0` before the first. */
  get lastId(): string {
    return `${this.epoch}.${this.seq}`;
  }

  append(type: string, data: unknown): LiveEvent {
    return this.record(this.seq + 1, type, data);
  }

  /** Makes an event known to every reader: here, appends it; in cluster mode, sends it to the shared stream. */
  publish(type: string, data: unknown): void {
    this.append(type, data);
  }

  /**
   * Keeps an event numbered elsewhere (in cluster mode, by the shared stream). Numbers must
   * grow; after a gap the ring restarts, so a reader never resumes across missing events.
   */
  protected record(seq: number, type: string, data: unknown): LiveEvent {
    if (seq <= this.seq) throw new RangeError(`EventLog: event ${seq} is not after ${this.seq}`);
    if (seq !== this.seq + 1) {
      this.ring.length = 0;
      this.ringWeight = 0;
    }
    this.seq = seq;
    const event = { id: `${this.epoch}.${this.seq}`, type, data };
    const weighed = this.weigh(type, data);
    const weight = Number.isFinite(weighed) && weighed > 1 ? weighed : 1;
    this.ring.push({ event, weight });
    this.ringWeight += weight;
    // The newest event stays, whatever its weight: a reader one event behind can always resume.
    while (this.ringWeight > this.capacity && this.ring.length > 1) this.ringWeight -= this.ring.shift()!.weight;
    for (const observer of [...this.observers]) observer(event);
    for (const listener of [...this.listeners]) listener(event);
    return event;
  }

  /** The events after `lastEventId`, oldest first. */
  since(lastEventId: string): Replay {
    const match = /^([A-Za-z0-9_-]+)\.(\d+)$/.exec(lastEventId);
    if (!match) return { kind: 'reset', reason: 'malformed' };
    if (match[1] !== this.epoch) return { kind: 'reset', reason: 'unknown-epoch' };
    const after = Number(match[2]);
    if (after > this.seq) return { kind: 'reset', reason: 'unknown-epoch' };
    const oldest = this.seq - this.ring.length + 1;
    // The reader needs event `after + 1` onwards; if that one fell out of the ring, something is lost.
    if (after + 1 < oldest) return { kind: 'reset', reason: 'too-far-behind' };
    return { kind: 'events', events: this.ring.slice(after + 1 - oldest).map((entry) => entry.event) };
  }

  /** Calls `listener` with every new event until the returned function is called. */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Like `subscribe`, for the server's own use of the events: not counted as a reader. */
  observe(observer: (event: LiveEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Readers of the stream (the `/api/events` requests open now). */
  get subscribers(): number {
    return this.listeners.size;
  }
}
