import { randomBytes } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import type { SubscriptionProcedure } from '../contract/procedure.js';
import { AgentError } from '../errors.js';
import type { SubscriptionHandlers, Unsubscribable } from '../server/NodeLink.js';
import type { ClusterContext } from './ClusterContext.js';
import { decode, isNoResponders, packValue, publish, replyError, StreamMessage, unpackValue } from './clusterWire.js';
import { requestOwner } from './requestOwner.js';

/** Where the stream is read from right now: this replica's link, or an owner across the engine. */
interface Leg {
  owner: string;
  close(): void;
  /** One of this leg's items was delivered: a carried leg grants credit for it. */
  delivered(): void;
}

/** An item waiting for delivery, or the end of the stream, in the order they came. */
type Queued = { leg: Leg; data: unknown } | { leg: Leg; end: () => void };

/**
 * A subscription to a node's agent from any replica of a cluster. It runs on this
 * replica's link while this replica holds the node's socket, and otherwise is carried from
 * the owner over the engine. When the owner changes (the node dialled another replica, or
 * its owner died and it dialled again), the stream is opened at the new owner from the id
 * of the last item received, so a tracked stream loses nothing and repeats nothing; an
 * untracked one (heartbeats) starts afresh. While no owner is known, it waits.
 *
 * A carried stream is paced by credit: the owner sends at most `streamCreditItems` items
 * ahead of what this replica has delivered (an `onData` that returns a promise is delivered
 * when it settles), and stops the agent's stream while it has none left.
 */
export class ClusterStream implements Unsubscribable {
  private leg: Leg | null = null;
  private closed = false;
  private started = false;
  /** The id of the last item received (delivered or queued): where a new leg resumes. */
  private lastEventId: string | undefined;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs: number;
  /** One queue for every leg, so items of an old leg are delivered before a new leg's. */
  private readonly queue: Queued[] = [];
  private pumping = false;

  constructor(
    private readonly context: ClusterContext,
    readonly nodeId: string,
    private readonly procedure: SubscriptionProcedure,
    private readonly path: string,
    private readonly input: unknown,
    private readonly handlers: SubscriptionHandlers<unknown>,
    private readonly onClosed: (stream: ClusterStream) => void,
  ) {
    this.retryMs = context.retryBaseMs;
    const given = (input as { lastEventId?: unknown } | undefined)?.lastEventId;
    if (typeof given === 'string') this.lastEventId = given;
    this.open();
  }

  unsubscribe(): void {
    this.finish();
  }

  /** Ends the stream with `error` told to the reader, as a local link does when it closes. */
  abort(error: AgentError): void {
    if (!this.closed) this.fail(error);
  }

  /**
   * The engine connection was lost and is back: what the owner sent meanwhile, and the credit
   * this replica granted, may be gone (NATS delivers at most once). A carried stream is opened
   * again from the last id received; one on this replica's own link goes on as it is.
   */
  restart(): void {
    if (this.closed || !this.leg || this.leg.owner === this.context.replicaId) return;
    this.leg.close();
    this.leg = null;
    this.open();
  }

  /** The owner changed or a replica died: move to where the node is now, if that is elsewhere. */
  reconsider(): void {
    if (this.closed) return;
    const owner = this.context.liveOwner(this.nodeId);
    if (this.leg && this.leg.owner === owner) return;
    this.leg?.close();
    this.leg = null;
    this.open();
  }

  private open(): void {
    if (this.closed || this.leg) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const owner = this.context.liveOwner(this.nodeId);
    if (owner === null) return; // Waits for `reconsider`: the node dials in somewhere.
    this.leg = owner === this.context.replicaId ? this.localLeg() : this.remoteLeg(owner);
  }

  /** The input of a new leg: a tracked stream continues after the last item received. */
  private resumeInput(): unknown {
    if (!this.procedure.tracked || this.lastEventId === undefined) return this.input;
    return { ...(this.input as object), lastEventId: this.lastEventId };
  }

  private localLeg(): Leg {
    const leg: Leg = { owner: this.context.replicaId, close: () => subscription.unsubscribe(), delivered: () => {} };
    const current = () => this.leg === leg && !this.closed;
    const subscription = this.context.local.transport(this.nodeId).subscribe(this.procedure, this.path, this.resumeInput(), {
      onStarted: () => current() && this.markStarted(),
      onData: (item) => {
        if (!current()) return;
        if (this.procedure.tracked) this.lastEventId = (item as { id: string }).id;
        this.push({ leg, data: item });
      },
      onError: (error) => current() && this.push({ leg, end: () => this.fail(error) }),
      onComplete: () => current() && this.push({ leg, end: () => this.complete() }),
    });
    return leg;
  }

  private remoteLeg(owner: string): Leg {
    const { nc, names, streamCreditItems } = this.context;
    const streamId = randomBytes(9).toString('base64url');
    const openTimeoutMs = Math.max(1_000, this.context.callTimeoutMs);
    let delivered = 0;
    let subscription: Subscription | null = null;
    let opened = false;
    /** The open is unanswered (`pending`), or went unanswered past its deadline (`timed-out`). */
    let open: 'pending' | 'timed-out' | 'answered' = 'pending';
    let lingerTimer: NodeJS.Timeout | null = null;
    const unsubscribe = () => {
      subscription?.unsubscribe();
      subscription = null;
      if (lingerTimer) clearTimeout(lingerTimer);
    };
    const stopAtOwner = () => {
      publish(nc, names.streamControl(streamId), { t: 'stop' });
      unsubscribe();
    };
    /**
     * A leg given up while its open was unanswered may still be opened by a slow owner, which
     * would then carry it for nobody. A stop sent at once would race that late open (the
     * owner listens for it only once it opens), so the leg keeps listening instead: the
     * owner's first message on it is answered with the stop, which it then hears. After
     * another deadline with nothing heard, nothing is coming.
     */
    const linger = () => {
      lingerTimer = setTimeout(unsubscribe, openTimeoutMs);
      lingerTimer.unref();
    };
    const leg: Leg = {
      owner,
      close: () => {
        if (opened) stopAtOwner();
        else if (open === 'timed-out') linger();
        // Still pending: the answer decides (a late `ok` is stopped, see below).
        else if (open === 'answered') unsubscribe();
        opened = false;
      },
      delivered: () => {
        delivered++;
        // Credit goes back in halves of the window: fewer control messages, and the owner never runs dry while items flow.
        if (delivered >= Math.max(1, Math.floor(streamCreditItems / 2)) && opened && this.leg === leg) {
          publish(nc, names.streamControl(streamId), { t: 'credit', n: delivered });
          delivered = 0;
        }
      },
    };
    const current = () => this.leg === leg && !this.closed;
    subscription = nc.subscribe(names.streamItems(streamId), {
      callback: (error, message) => {
        if (error) return;
        const received = decode(StreamMessage, message.data);
        if (!received) return this.context.report(new Error('a carried stream message that is not one'), this.path);
        if (!current()) {
          // The owner carries a leg this reader gave up: stop it, unless it has ended by itself.
          if (received.t === 'started' || received.t === 'data') stopAtOwner();
          else unsubscribe();
          return;
        }
        switch (received.t) {
          // An item from the owner means the stream is open there, even when it came before the reply to `open`: credit may go back.
          case 'started':
            opened = true;
            return this.markStarted();
          case 'data':
            opened = true;
            if (this.procedure.tracked) {
              if (received.id === undefined) return;
              this.lastEventId = received.id;
            }
            return this.push({ leg, data: this.procedure.tracked ? { id: received.id, data: unpackValue(received.value) } : unpackValue(received.value) });
          case 'error':
            opened = false;
            return this.push({ leg, end: () => this.fail(replyError(received.error)) });
          case 'complete':
            opened = false;
            return this.push({ leg, end: () => this.complete() });
          case 'moved':
            opened = false;
            return this.retryLater();
        }
      },
    });
    const request = { t: 'open', node: this.nodeId, stream: streamId, reader: this.context.replicaId, path: this.path, input: packValue(this.resumeInput()), credit: streamCreditItems } as const;
    requestOwner(this.context, owner, request, openTimeoutMs).then(
      (reply) => {
        open = 'answered';
        if (!current()) {
          // Opened after this leg was given up: stop it at the owner at once (it listens by now).
          if (reply?.t === 'ok') stopAtOwner();
          else unsubscribe();
          return;
        }
        if (reply?.t === 'ok') {
          opened = true;
          this.retryMs = this.context.retryBaseMs;
        } else if (reply?.t === 'error') this.fail(replyError(reply.error));
        else this.retryLater();
      },
      (error: unknown) => {
        // Nobody serves the owner's or the node's subject (it died): nothing was opened. No answer in time: it may open yet.
        open = isNoResponders(error) ? 'answered' : 'timed-out';
        if (current()) this.retryLater();
        else if (open === 'timed-out') linger();
        else unsubscribe();
      },
    );
    return leg;
  }

  private push(queued: Queued): void {
    this.queue.push(queued);
    void this.pump();
  }

  /** Delivers queued items one at a time, waiting for an `onData` that returns a promise. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const queued = this.queue.shift()!;
        if ('end' in queued) {
          if (this.leg === queued.leg) queued.end();
          continue;
        }
        try {
          const result = this.handlers.onData(queued.data) as PromiseLike<unknown> | undefined;
          if (result && typeof result.then === 'function') await result;
        } catch (error) {
          this.context.report(error, `${this.path} of node ${this.nodeId}: onData`);
        }
        queued.leg.delivered();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The owner did not take the stream (not subscribed yet, node away, or it moved on): ask again after a while. */
  private retryLater(): void {
    if (this.closed) return;
    this.leg?.close();
    this.leg = null;
    if (this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.context.retryMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
    this.retryTimer.unref();
  }

  private markStarted(): void {
    if (this.started) return;
    this.started = true;
    this.guard(() => this.handlers.onStarted?.());
  }

  private fail(error: AgentError): void {
    this.finish();
    this.guard(() => this.handlers.onError?.(error instanceof AgentError ? error : AgentError.from(error)));
  }

  private complete(): void {
    this.finish();
    this.guard(() => this.handlers.onComplete?.());
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.leg?.close();
    this.leg = null;
    this.onClosed(this);
  }

  private guard(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.context.report(error, `${this.path} of node ${this.nodeId}`);
    }
  }
}
