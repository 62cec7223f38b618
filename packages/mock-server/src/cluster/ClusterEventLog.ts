import { DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decode } from '@lormas/protocol/cluster';
import { z } from 'zod';
import { EventLog, type EventLogOptions } from '../live/EventLog.js';

const encoder = new TextEncoder();

/**
 * An event as the stream carries it. Anyone who can publish to the engine can put anything
 * in the stream, and the type becomes a line of every reader's Server-Sent Events: a type
 * with a line break in it would write events of its own into every dashboard. So a type is
 * a short lowercase word, its data must be what a replica makes of that type
 * (`ClusterEventLogOptions.events`), and a message that is not such an event is reported and
 * skipped.
 */
const StreamEvent = z.object({ type: z.string().regex(/^[a-z][a-z-]{0,31}$/), data: z.unknown() });

export interface ClusterEventLogOptions {
  nc: NatsConnection;
  /** Names the stream (`<prefix>_events`) and its subject. */
  prefix: string;
  /**
   * The schema of each event type's data. An event of another type, or whose data its schema
   * refuses, is reported and skipped; the data a schema returns is what readers get.
   */
  events: Readonly<Record<string, z.ZodType>>;
  /** Events a reconnecting reader can resume from, by their weight; the stream keeps this many events. @default 1_000 (events) */
  capacity?: number;
  /** An event's weight against `capacity` in this replica's replay buffer (see `EventLogOptions.weigh`). @default 1 for every event */
  weigh?: EventLogOptions['weigh'];
  /** Wait before a `reset` owed to the readers is sent again while the engine is away. @default 500 (milliseconds) */
  resetRetryMs?: number;
  onError(error: unknown): void;
}

/** The event that tells every reader it may have missed events and must read the state afresh (`LiveEventMap['reset']`). */
export const LOST_EVENTS_RESET = { type: 'reset', data: { reason: 'events-lost' } } as const;

/**
 * The live event stream of a cluster: a JetStream stream that every replica publishes its
 * events to and reads back in one order, so an event made on any replica reaches the
 * readers of every replica, and an event's id (`<epoch>.<stream sequence>`) means the same
 * everywhere: a browser that reconnects through the load balancer to another replica
 * resumes with `Last-Event-ID` where it was. The stream keeps the newest `capacity` events;
 * its creation time is the epoch, so ids of a stream made anew are refused with `reset`.
 */
export class ClusterEventLog extends EventLog {
  private stopped = false;
  private consumer: { stop(): void } | null = null;
  /** Publishes that failed, and how many of them the last `reset` that went out covers. */
  private failed = 0;
  private resetCovers = 0;
  private resetting = false;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly subject: string,
    epoch: string,
    capacity: number,
    weigh: EventLogOptions['weigh'],
    private readonly events: Readonly<Record<string, z.ZodType>>,
    private readonly onError: (error: unknown) => void,
    private readonly resetRetryMs: number,
  ) {
    super({ capacity, epoch, weigh });
  }

  static async start(options: ClusterEventLogOptions): Promise<ClusterEventLog> {
    const capacity = options.capacity ?? 1_000;
    const stream = `${options.prefix}_events`;
    const subject = `${options.prefix}.events`;
    const jsm = await jetstreamManager(options.nc);
    const config = { name: stream, subjects: [subject], max_msgs: capacity, storage: StorageType.File, retention: RetentionPolicy.Limits };
    const info = await jsm.streams.info(stream).catch(() => null) ?? (await jsm.streams.add(config).catch(() => jsm.streams.info(stream)));
    const epoch = Date.parse(info.created).toString(36);
    const log = new ClusterEventLog(jetstream(options.nc), stream, subject, epoch, capacity, options.weigh, options.events, options.onError, options.resetRetryMs ?? 500);
    // The newest events the stream holds become this replica's replay buffer.
    await log.follow(Math.max(1, info.state.last_seq - capacity + 1));
    return log;
  }

  override publish(type: string, data: unknown): void {
    this.js.publish(this.subject, encoder.encode(JSON.stringify({ type, data }))).catch((error: unknown) => {
      this.onError(error);
      this.failed++;
      void this.sendReset();
    });
  }

  /**
   * An event that could not be published (the engine was away, or its acknowledgement was)
   * is missing for the readers of every replica, who cannot tell. They are told with a
   * `reset` in the stream itself, sent once the engine takes it, so that every replica's
   * readers get it in order and a reader resuming from before it gets it too: the dashboard
   * then reads the state afresh. Failures while one is on its way are covered by one more.
   */
  private async sendReset(): Promise<void> {
    if (this.resetting) return;
    this.resetting = true;
    try {
      while (!this.stopped && this.resetCovers < this.failed) {
        const covers = this.failed;
        try {
          await this.js.publish(this.subject, encoder.encode(JSON.stringify(LOST_EVENTS_RESET)));
          this.resetCovers = covers;
        } catch (error) {
          this.onError(error);
          await new Promise((resolve) => setTimeout(resolve, this.resetRetryMs).unref());
        }
      }
    } finally {
      this.resetting = false;
    }
  }

  close(): void {
    this.stopped = true;
    this.consumer?.stop();
  }

  /** A message of the stream as an event whose data its type's schema allows, or null. */
  private read(bytes: Uint8Array): { type: string; data: unknown } | null {
    const event = decode(StreamEvent, bytes);
    const schema = event && Object.hasOwn(this.events, event.type) ? this.events[event.type] : undefined;
    const data = schema?.safeParse(event!.data);
    return data?.success ? { type: event!.type, data: data.data } : null;
  }

  /** Reads the stream from `fromSeq` on, for good: an ordered consumer, started again after the sequence last read should it end. */
  private async follow(fromSeq: number): Promise<void> {
    let next = fromSeq;
    let ready!: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    const run = async () => {
      while (!this.stopped) {
        try {
          const consumer = await this.js.consumers.getPushConsumer(this.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next });
          const messages = await consumer.consume({
            callback: (message) => {
              if (message.seq < next) return;
              next = message.seq + 1;
              const event = this.read(message.data);
              if (!event) return this.onError(new Error(`message ${message.seq} of the stream ${this.stream} is not an event a replica makes; skipped`));
              try {
                this.record(message.seq, event.type, event.data);
              } catch (error) {
                this.onError(error);
              }
            },
          });
          this.consumer = messages;
          ready();
          await messages.closed();
        } catch (error) {
          if (!this.stopped) this.onError(error);
        }
        ready();
        if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, 500).unref());
      }
    };
    void run();
    await started;
  }
}
