import type { Subscription } from '@nats-io/transport-node';
import type { SubscriptionProcedure } from '../contract/procedure.js';
import type { Unsubscribable } from '../server/NodeLink.js';
import type { ClusterContext } from './ClusterContext.js';
import { AgentError } from '../errors.js';
import { decode, packValue, publish, StreamControl, type StreamMessage } from './clusterWire.js';

export interface CarriedStreamOptions {
  nodeId: string;
  streamId: string;
  /** The replica reading the stream. */
  reader: string;
  procedure: SubscriptionProcedure;
  path: string;
  input: unknown;
  /** Items the reader lets this owner send before it grants more. */
  credit: number;
  onEnded(stream: CarriedStream): void;
}

/**
 * The owner's end of a stream carried to another replica. Items go out only against the
 * reader's credit. When a tracked stream's credit runs out, the agent's stream is stopped
 * (`subscription.stop` to the agent, remembering the last id sent) and opened again from
 * that id when credit returns: the protocol's own resume is the brake, so the agent stops
 * reading the engine, this replica holds no backlog, and the node's other streams
 * (heartbeats) are not slowed. Untracked streams cannot resume, so they are not braked:
 * they are the small periodic ones.
 */
export class CarriedStream {
  readonly nodeId: string;
  readonly reader: string;
  private credit: number;
  private lastEventId: string | undefined;
  private local: Unsubscribable | null = null;
  private control: Subscription | null = null;
  private ended = false;
  private started = false;
  /** How often the brake was applied: what a test or an operator can read. */
  pauses = 0;

  constructor(
    private readonly context: ClusterContext,
    private readonly options: CarriedStreamOptions,
  ) {
    this.nodeId = options.nodeId;
    this.reader = options.reader;
    this.credit = options.credit;
    const given = (options.input as { lastEventId?: unknown } | undefined)?.lastEventId;
    if (typeof given === 'string') this.lastEventId = given;
  }

  start(): void {
    this.control = this.context.nc.subscribe(this.context.names.streamControl(this.options.streamId), {
      callback: (error, message) => {
        if (error) return;
        const control = decode(StreamControl, message.data);
        if (!control) return;
        if (control.t === 'stop') return this.end();
        this.credit += control.n;
        if (!this.local && !this.ended && this.credit > 0) this.openLocal();
      },
    });
    this.openLocal();
  }

  /** This replica lost the node: the reader opens the stream again at the new owner. */
  moved(): void {
    this.send({ t: 'moved' });
    this.end();
  }

  /** Ends the stream with `error` told to the reader (the node was forgotten here). */
  fail(error: AgentError): void {
    if (this.ended) return;
    this.send({ t: 'error', error: error.toShape() });
    this.end();
  }

  /** Stops the agent's stream and the control subscription, without a word to the reader (it is gone, or it asked). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.local?.unsubscribe();
    this.local = null;
    this.control?.unsubscribe();
    this.options.onEnded(this);
  }

  private openLocal(): void {
    const { procedure, path, input } = this.options;
    const resumed = procedure.tracked && this.lastEventId !== undefined ? { ...(input as object), lastEventId: this.lastEventId } : input;
    const subscription = this.context.local.transport(this.nodeId).subscribe(procedure, path, resumed, {
      onStarted: () => {
        if (this.started) return;
        this.started = true;
        this.send({ t: 'started' });
      },
      onData: (item) => {
        if (this.ended || this.local !== subscription) return;
        if (procedure.tracked) {
          const { id, data } = item as { id: string; data: unknown };
          this.lastEventId = id;
          this.send({ t: 'data', id, value: packValue(data) });
          if (--this.credit <= 0) this.pause();
        } else {
          this.send({ t: 'data', value: packValue(item) });
        }
      },
      onError: (error) => {
        this.send({ t: 'error', error: AgentError.from(error).toShape() });
        this.end();
      },
      onComplete: () => {
        this.send({ t: 'complete' });
        this.end();
      },
    });
    this.local = subscription;
  }

  private pause(): void {
    this.pauses++;
    this.local?.unsubscribe();
    this.local = null;
  }

  private send(message: StreamMessage): void {
    publish(this.context.nc, this.context.names.streamItems(this.options.streamId), message);
  }
}
