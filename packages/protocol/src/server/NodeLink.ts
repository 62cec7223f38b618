import type { RawData, WebSocket } from 'ws';
import type { z } from 'zod';
import type { CallProcedure, SubscriptionProcedure } from '../contract/procedure.js';
import { AgentError, toValidationIssues } from '../errors.js';
import { isTimerMs, MAX_TIMER_MS } from '../link/timerMs.js';
import { protocolAtLeast } from '../version.js';
import { encodeCall, encodeStop, PONG, type AgentFrame } from '../wire/frames.js';
import { linkTransformer } from '../link/transformer.js';
import { decodeError, decodeValue, isPlainPayload, readAgentFrame } from './readAgentFrame.js';

/** What a caller may add to a query or mutation. */
export interface CallOptions {
  /** This call's deadline instead of the hub's `callTimeoutMs`. */
  timeoutMs?: number;
  /** Gives up on the call; it rejects with the signal's reason. The agent may still carry it out. */
  signal?: AbortSignal;
}

/** The callbacks of a subscription. Each runs guarded: a throw is reported, never re-raised. */
export interface SubscriptionHandlers<T> {
  /** Once, when the agent has started the stream. */
  onStarted?(): void;
  /**
   * Each item, in order. A stream carried between cluster replicas waits for a returned
   * promise (any other return value is ignored) before it grants the sending replica more credit, so a slow consumer slows the
   * agent's stream instead of filling a replica's memory; a local stream does not wait.
   */
  onData(item: T): unknown;
  /** The stream failed; it is over. */
  onError?(error: AgentError): void;
  /** The agent ended the stream; it is over. */
  onComplete?(): void;
}

export interface Unsubscribable {
  unsubscribe(): void;
}

/** How a node link reports to its hub. */
export interface NodeLinkHost {
  readonly nodeId: string;
  readonly callTimeoutMs: number;
  readonly maxInvalidItems: number;
  readonly invalidItemWindowMs: number;
  /**
   * A frame on `socket` broke the wire format, or too many items broke the contract: close
   * that socket, the one that committed it (by then the node may have dialled again on
   * another). Called once per socket; the link reads nothing more from it.
   */
  violation(socket: WebSocket, reason: string, counters: LinkCounters): void;
  /** A caller's callback threw. */
  callbackFailed(error: unknown, path: string): void;
}

/** What the link counts of an agent's frames, for operators. */
export interface LinkCounters {
  /** Well-formed frames that answered nothing awaited: late results, `stopped` for dropped streams, keep-alives. */
  droppedFrames: number;
  /** Stream items that broke the contract and were dropped. */
  invalidItems: number;
  /** Results that broke the contract; their calls failed with `BAD_AGENT_OUTPUT`. */
  invalidResults: number;
}

interface PendingCall {
  path: string;
  procedure: CallProcedure;
  frame: object;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Set once the call went out on a socket: a close then fails it, since it may have been acted on. */
  sent: boolean;
}

interface OpenStream {
  path: string;
  procedure: SubscriptionProcedure;
  input: unknown;
  handlers: SubscriptionHandlers<unknown>;
  /** The id on the current socket, or null while it waits for one. */
  id: number | null;
  lastEventId: string | undefined;
  started: boolean;
}

/**
 * One node's end of the link on the server: its current socket, the calls and streams over
 * it, and the checks of everything the agent sends. It speaks tRPC's WebSocket message
 * format itself, so calls go out on a microtask (calls made in the same tick share one
 * frame), and no library ever sees a frame this class has not checked.
 *
 * Calls made while the node is away wait for it, up to their deadline; calls sent on a
 * socket that then closes fail with `AGENT_UNAVAILABLE` (they may have been carried out).
 * Streams outlive sockets: when the node dials back, each is sent again from the id of the
 * last item received, so a tracked stream loses nothing and repeats nothing.
 */
export class NodeLink {
  socket: WebSocket | null = null;
  /** The protocol version the agent announced in `hello`, once known. */
  agentProtocol: string | null = null;
  readonly counters: LinkCounters = { droppedFrames: 0, invalidItems: 0, invalidResults: 0 };
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, OpenStream>();
  /** Streams waiting for a socket. */
  private readonly parked = new Set<OpenStream>();
  private outbox: object[] = [];
  private flushQueued = false;
  private invalidAt: number[] = [];
  /** The socket whose frames are no longer read: it broke the protocol and is closing. */
  private unread: WebSocket | null = null;

  constructor(private readonly host: NodeLinkHost) {}

  /** Makes `socket` this node's socket: parked streams and waiting calls go out on it. */
  attach(socket: WebSocket): void {
    this.socket = socket;
    this.agentProtocol = null;
    socket.on('message', (data: RawData, isBinary: boolean) => this.receive(socket, data, isBinary));
    socket.once('close', () => this.detach(socket));
    for (const call of this.calls.values()) if (!call.sent) this.send(call);
    for (const stream of this.parked) this.sendStream(stream);
    this.parked.clear();
  }

  isOpen(): boolean {
    return !!this.socket && this.socket.readyState === this.socket.OPEN;
  }

  call(procedure: CallProcedure, path: string, input: unknown, options: CallOptions = {}): Promise<unknown> {
    const refusal = this.refuse(procedure, path);
    if (refusal) return Promise.reject(refusal);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (options.timeoutMs !== undefined && !isTimerMs(options.timeoutMs)) {
      return Promise.reject(new TypeError(`timeoutMs must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${String(options.timeoutMs)}`));
    }
    const id = this.nextId++;
    let frame: object;
    try {
      frame = encodeCall(id, procedure.kind, path, input);
    } catch (error) {
      return Promise.reject(unsendable(path, error));
    }
    const timeoutMs = options.timeoutMs ?? this.host.callTimeoutMs;
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.calls.delete(id);
      };
      const abort = () => {
        settle();
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        settle();
        reject(new AgentError('AGENT_TIMEOUT', `agent of node ${this.host.nodeId} did not answer ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', abort, { once: true });
      const call: PendingCall = {
        path,
        procedure,
        frame,
        resolve: (value) => (settle(), resolve(value)),
        reject: (error) => (settle(), reject(error)),
        sent: false,
      };
      this.calls.set(id, call);
      if (this.isOpen()) this.send(call);
    });
  }

  subscribe(procedure: SubscriptionProcedure, path: string, input: unknown, handlers: SubscriptionHandlers<unknown>): Unsubscribable {
    const stream: OpenStream = { path, procedure, input, handlers, id: null, lastEventId: undefined, started: false };
    // The input is encoded again each time the stream is sent; one that cannot be is refused now, not on some later socket.
    const refusal = this.refuse(procedure, path) ?? encodingRefusal(path, input);
    if (refusal) {
      queueMicrotask(() => this.guard(path, () => handlers.onError?.(refusal)));
      return { unsubscribe() {} };
    }
    if (this.isOpen()) this.sendStream(stream);
    else this.parked.add(stream);
    let open = true;
    return {
      unsubscribe: () => {
        if (!open) return;
        open = false;
        this.parked.delete(stream);
        if (stream.id !== null && this.streams.get(stream.id) === stream) {
          this.streams.delete(stream.id);
          if (this.isOpen()) this.enqueue(encodeStop(stream.id));
        }
        stream.id = null;
      },
    };
  }

  /** Fails every call and ends every stream: the node is forgotten or the hub closes. */
  dispose(reason: string): void {
    const error = new AgentError('AGENT_UNAVAILABLE', `the link to node ${this.host.nodeId} is closed: ${reason}`);
    for (const call of [...this.calls.values()]) call.reject(error);
    const streams = [...this.streams.values(), ...this.parked];
    this.streams.clear();
    this.parked.clear();
    for (const stream of streams) this.guard(stream.path, () => stream.handlers.onError?.(error));
  }

  /** A call to a procedure the agent's announced protocol lacks is refused here, not sent. */
  private refuse(procedure: CallProcedure | SubscriptionProcedure, path: string): AgentError | null {
    if (this.agentProtocol === null || protocolAtLeast(this.agentProtocol, procedure.since)) return null;
    return new AgentError('NOT_SUPPORTED', `the agent of node ${this.host.nodeId} speaks protocol ${this.agentProtocol}; ${path} needs ${procedure.since}`);
  }

  private send(call: PendingCall): void {
    call.sent = true;
    this.enqueue(call.frame);
  }

  private sendStream(stream: OpenStream): void {
    const id = this.nextId++;
    stream.id = id;
    this.streams.set(id, stream);
    this.enqueue(encodeCall(id, 'subscription', stream.path, stream.input, stream.lastEventId));
  }

  /** Queues a frame; everything queued in one tick goes out as one message (tRPC's batch form). */
  private enqueue(frame: object): void {
    this.outbox.push(frame);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const frames = this.outbox;
    this.outbox = [];
    if (frames.length === 0 || !this.isOpen()) return;
    this.socket!.send(JSON.stringify(frames.length === 1 ? frames[0] : frames));
  }

  private detach(socket: WebSocket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.outbox = [];
    const error = new AgentError('AGENT_UNAVAILABLE', `the agent of node ${this.host.nodeId} went away before it answered`);
    for (const call of [...this.calls.values()]) if (call.sent) call.reject(error);
    for (const stream of this.streams.values()) {
      stream.id = null;
      this.parked.add(stream);
    }
    this.streams.clear();
  }

  /**
   * Ignores every later frame of `socket`, which broke the protocol, and has the host close
   * it: an agent that broke the protocol has no say any more, even while it holds the socket
   * open (a closing handshake it never answers lasts `ws`'s close timeout, 30 seconds). Its
   * calls in flight fail with `AGENT_UNAVAILABLE` when the socket closes. The socket is
   * passed along, never looked up again: once the node is forgotten (`AgentHub.forget`) this
   * link still reads its old socket while it closes, and the node's new socket belongs to
   * another link.
   */
  private violate(socket: WebSocket, reason: string): void {
    this.unread = socket;
    this.host.violation(socket, reason, { ...this.counters });
  }

  private receive(socket: WebSocket, data: RawData, isBinary: boolean): void {
    if (socket !== this.socket || socket === this.unread) return;
    const message = readAgentFrame(data, isBinary);
    switch (message.kind) {
      case 'violation':
        return this.violate(socket, message.reason);
      case 'keep-alive':
        this.counters.droppedFrames++;
        if (message.text === 'PING' && this.isOpen()) this.socket!.send(PONG);
        return;
      case 'frame':
        return this.route(socket, message.frame);
    }
  }

  private route(socket: WebSocket, frame: AgentFrame): void {
    const id = typeof frame.id === 'number' ? frame.id : null;
    const call = id === null ? undefined : this.calls.get(id);
    if (call) return this.answer(socket, call, frame);
    const stream = id === null ? undefined : this.streams.get(id);
    if (stream && stream.id === id) return this.feed(socket, stream, frame);
    // Legal without a live request: a late result, `stopped` for a stream the server dropped, an error with a null id, `reconnect`.
    this.counters.droppedFrames++;
  }

  private answer(socket: WebSocket, call: PendingCall, frame: AgentFrame): void {
    if ('error' in frame) return call.reject(decodeError(frame.error, call.path));
    if (!('result' in frame) || frame.result.type === 'started' || frame.result.type === 'stopped') {
      return this.violate(socket, `a stream frame in answer to the call ${call.path}`);
    }
    const decoded = decodeValue(frame.result.data);
    const checked = decoded.ok ? call.procedure.output.safeParse(decoded.value) : null;
    if (checked?.success) return call.resolve(checked.data);
    this.counters.invalidResults++;
    call.reject(
      new AgentError('BAD_AGENT_OUTPUT', `the agent of node ${this.host.nodeId} answered ${call.path} with a value the contract does not allow`, {
        issues: checked ? toValidationIssues(checked.error) : undefined,
      }),
    );
  }

  private feed(socket: WebSocket, stream: OpenStream, frame: AgentFrame): void {
    if ('method' in frame) return;
    if ('error' in frame) {
      this.end(stream);
      return this.guard(stream.path, () => stream.handlers.onError?.(decodeError(frame.error, stream.path)));
    }
    const { result } = frame;
    if (result.type === 'started') {
      if (stream.started) return;
      stream.started = true;
      return this.guard(stream.path, () => stream.handlers.onStarted?.());
    }
    if (result.type === 'stopped') {
      this.end(stream);
      return this.guard(stream.path, () => stream.handlers.onComplete?.());
    }
    const item = this.item(stream, result.id, result.data);
    if (item === INVALID) return this.invalidItem(socket, stream.path);
    if (stream.procedure.tracked) stream.lastEventId = result.id;
    this.guard(stream.path, () => stream.handlers.onData(item));
  }

  /** A stream item checked against the contract: `{ id, data }` for a tracked stream, else the value. */
  private item(stream: OpenStream, eventId: string | undefined, payload: unknown): unknown {
    const { isExactItem } = stream.procedure;
    // A plain JSON payload (no superjson `meta`) holds the item as `JSON.parse` made it; one
    // the contract's exact check takes has only the schema's keys, so no key superjson guards.
    if (isExactItem && !stream.procedure.tracked && isPlainPayload(payload) && isExactItem(payload.json)) return payload.json;
    const decoded = decodeValue(payload);
    if (!decoded.ok) return INVALID;
    const schema: z.ZodType = stream.procedure.item;
    if (!stream.procedure.tracked) {
      const checked = schema.safeParse(decoded.value);
      return checked.success ? checked.data : INVALID;
    }
    const envelope = decoded.value as { id?: unknown; data?: unknown } | null;
    if (eventId === undefined || typeof envelope !== 'object' || envelope === null || envelope.id !== eventId) return INVALID;
    const checked = schema.safeParse(envelope.data);
    return checked.success ? { id: eventId, data: checked.data } : INVALID;
  }

  /**
   * Drops an item that broke the contract and goes on: ending the heartbeat stream over one
   * bad item would make the node look lost. Past `maxInvalidItems` in the window, the agent
   * is closed as a violator.
   */
  private invalidItem(socket: WebSocket, path: string): void {
    this.counters.invalidItems++;
    const now = performance.now();
    this.invalidAt.push(now);
    while (this.invalidAt.length > 0 && this.invalidAt[0]! <= now - this.host.invalidItemWindowMs) this.invalidAt.shift();
    if (this.invalidAt.length > this.host.maxInvalidItems) {
      this.invalidAt = [];
      this.violate(socket, `more than ${this.host.maxInvalidItems} items that break the contract within ${this.host.invalidItemWindowMs} ms (last on ${path})`);
    }
  }

  private end(stream: OpenStream): void {
    if (stream.id !== null) this.streams.delete(stream.id);
    stream.id = null;
  }

  private guard(path: string, callback: () => unknown): void {
    try {
      const result = callback();
      // A handler that returns a promise (see `onData`) may reject later: reported, never unhandled.
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.host.callbackFailed(error, path));
      }
    } catch (error) {
      this.host.callbackFailed(error, path);
    }
  }
}

const INVALID = Symbol('invalid');

/**
 * A caller's input that the link cannot encode (superjson refuses objects with a key it
 * guards against prototype pollution, `constructor` or `prototype` among them, and values
 * such as cycles): a `BAD_INPUT` of the caller's, never a plain throw.
 */
function unsendable(path: string, error: unknown): AgentError {
  return new AgentError('BAD_INPUT', `the input of ${path} cannot be sent: ${error instanceof Error ? error.message : String(error)}`);
}

function encodingRefusal(path: string, input: unknown): AgentError | null {
  try {
    linkTransformer.serialize(input);
    return null;
  } catch (error) {
    return unsendable(path, error);
  }
}
