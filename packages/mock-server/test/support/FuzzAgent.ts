import { AgentFrame, CloseCode, isCompatibleProtocol, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '@lormas/protocol';
import { sampleHeartbeat } from '@lormas/protocol/testing';
import { type RawData, WebSocket } from 'ws';
import { type AgentMessage, agentMessage, envelopeVerdict, type FrameId } from './agentMessage.js';
import type { AddressedPart, Answer, AnswerKind, AnswerPart, ProcedureAnswers, ServerRequest } from './contractAnswers.js';
import { decodeMember } from './encodedValue.js';

export interface FuzzAgentOptions {
  /** `ws://host:port/...` of the server. */
  url: string;
  /** The node token, sent as `Authorization: Bearer`. */
  token?: string;
  nodeName: string;
  /** The contract's procedures: the agent's verdict on what it sends. */
  procedures: ReadonlyMap<string, ProcedureAnswers>;
  /** How to answer each request; `connecting` while the socket is not ready yet (see `isReady`). */
  answer(request: RequestRecord, connecting: boolean): Answer;
  /** The server's frame limit, in bytes. */
  maxPayloadBytes: number;
  /** The server's rule for invalid stream items: more than this many within the window close the agent. */
  maxInvalidItems: number;
  invalidItemWindowMs: number;
  /** Between valid heartbeats, which keep the node online whatever else is sent. @default 200 (milliseconds) */
  heartbeatIntervalMs?: number;
  /** Before dialling again after a close. @default 50 (milliseconds) */
  reconnectDelayMs?: number;
  /**
   * Dial again when the server stops reading the node's heartbeats (the agent ended the
   * stream, or the server dropped it): a server that opens them once per connection (the
   * mock server) would otherwise see the node turn lost while the fuzz goes on. @default false
   */
  redialWithoutHeartbeats?: boolean;
}

/** How a call ended by the agent's own reckoning from what it sent. */
export type CallOutcome =
  /** A result the contract allows: the server must hand it on. */
  | { kind: 'accepted'; value: unknown }
  /** A result the contract refuses: the server must fail the call with `BAD_AGENT_OUTPUT`. */
  | { kind: 'refused' }
  | { kind: 'error' }
  /** A frame no call may be answered with: the server must close the socket. */
  | { kind: 'violation' };

/** A request the server sent, with how the agent answered it. */
export interface RequestRecord extends ServerRequest {
  /** Counts the agent's requests from 1, across sockets. */
  seq: number;
  /** Which socket of the agent, counting from 1. */
  connection: number;
  at: number;
  answered?: AnswerKind;
  /** For a query or mutation: the first frame that settled it, when the agent can be sure the server reads it. */
  outcome?: CallOutcome;
  /**
   * For a subscription: the items the server must hand on, in order, as the contract parses
   * them (`{ id, data }` for a tracked stream); absent once the agent cannot be sure.
   */
  items?: unknown[];
}

/** A close of one of the agent's sockets, with what the agent expected. */
export interface CloseRecord {
  connection: number;
  code: number;
  /** The server's own reason for this socket's close (the rule a 4422 names). */
  reason: string;
  /** What the agent sent that obliged the server to close, if anything. */
  expected: { codes: number[]; why: string } | null;
  /** The agent dropped the socket itself. */
  ours: boolean;
  /** Why a close for too many invalid items is fair: the agent sent more than the server's limit within its window. */
  excuse: string | null;
  /** The last messages the agent sent on the socket, oldest first, as the report names them. */
  lastSent: string[];
}

/** How many of a socket's last messages a close record keeps. */
const LAST_SENT = 6;

/** Whether the server says it closed the socket for too many stream items that break the contract. */
export function closedForInvalidItems(code: number, reason: string): boolean {
  return code === CloseCode.ProtocolViolation && reason.includes('items that break the contract');
}

interface Connection {
  seq: number;
  ws: WebSocket;
  /** Calls not settled yet, by id. */
  calls: Map<number, RequestRecord>;
  /** Streams the server still reads, by id. */
  streams: Map<number, RequestRecord>;
  /** Ids of calls already settled, the newest last. */
  settled: number[];
  /**
   * Set by the first message that obliged the server to close. It stops reading at once after
   * a frame that breaks the protocol; after a `hello` it refuses, it reads on until the close
   * (`deferred`), so later frames may close the socket for their own reason first.
   */
  expectedClose: { codes: number[]; why: string; deferred: boolean } | null;
  /** The server's count of invalid items may have passed its limit: what the socket's frames settle is not known. */
  uncertain: boolean;
  /** The agent ended a stream on this socket: the server may be dropping the node's other streams in answer. */
  endedStream: boolean;
  heartbeats: number | null;
  helloAccepted: boolean;
  /** The id of the socket's first `hello` request. */
  firstHello: number | null;
  ours: boolean;
  /** The last messages sent, for the report (`CloseRecord.lastSent`). */
  lastSent: string[];
}

/**
 * A fake agent holding a valid node token that answers every request of the server with
 * what `answer` says (valid values, mutations, broken encodings, errors, decoys to other
 * ids), sends any frame it is given, and keeps its node alive with valid heartbeats. It
 * judges each message it sends from the protocol's documentation alone, so the test can
 * hold the server to it: which calls must succeed or fail with `BAD_AGENT_OUTPUT`, which
 * messages must close the socket, with which code. After any close it dials again.
 */
export class FuzzAgent {
  /** The newest requests (at most 10,000), oldest first. */
  readonly requests: RequestRecord[] = [];
  readonly closes: CloseRecord[] = [];
  /** Messages sent that the fuzz chose (answers and unsolicited frames), and valid heartbeats besides. */
  readonly sent = { fuzzFrames: 0, heartbeats: 0, connections: 0 };
  private connection: Connection | null = null;
  private readonly options: FuzzAgentOptions;
  private readonly heartbeatIntervalMs: number;
  private readonly reconnectDelayMs: number;
  private invalidItemsAt: number[] = [];
  private inFlight = 0;
  private stopped = false;
  private ticker: NodeJS.Timeout | undefined;
  private beat = 0;
  private nextUnknownId = 2 ** 40;
  private requestCount = 0;

  constructor(options: FuzzAgentOptions) {
    this.options = options;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 200;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 50;
  }

  start(): void {
    this.dial();
    this.ticker = setInterval(() => this.sendHeartbeat(), this.heartbeatIntervalMs);
  }

  /** Closes the socket for good. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.ticker);
    this.connection?.ws.terminate();
  }

  /** Whether the current socket is open. */
  isOpen(): boolean {
    return this.connection?.ws.readyState === WebSocket.OPEN;
  }

  /** Whether the current socket is open, its `hello` was answered as the server accepts, and it owes no close: the server counts the node connected. */
  isReady(): boolean {
    const connection = this.connection;
    return !!connection && connection.ws.readyState === WebSocket.OPEN && connection.helloAccepted && !connection.expectedClose;
  }

  /**
   * Resolves once the server has read everything the agent sent on socket `connection`: the
   * agent sends tRPC's `PING` on it, which the server answers in order. False when that socket
   * is no longer the open one (what it sent may have been lost with it: a dropped socket's
   * last frames may never have left), or no answer comes in `timeoutMs` (a socket the server
   * stopped reading). A `PONG` on a newer socket says nothing of an older one's frames.
   */
  async barrier(connection: number, timeoutMs = 2_000): Promise<boolean> {
    if (this.connection?.seq !== connection) return false;
    const ws = this.connection.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    return new Promise((resolve) => {
      const done = (answered: boolean) => {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(answered);
      };
      const onMessage = (data: RawData, isBinary: boolean) => !isBinary && data.toString() === 'PONG' && done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      ws.on('message', onMessage);
      ws.send('PING');
    });
  }

  /** The requests after the one numbered `seq`, e.g. those an API call made. */
  requestsAfter(seq: number): RequestRecord[] {
    return this.requests.filter((record) => record.seq > seq);
  }

  /** The number of the newest request so far. */
  lastRequest(): number {
    return this.requestCount;
  }

  /** Answers still being sent. */
  busy(): number {
    return this.inFlight;
  }

  /** Open sockets that the agent broke and the server has not closed yet. */
  owedClose(): { connection: number; codes: number[]; why: string } | null {
    const connection = this.connection;
    if (!connection?.expectedClose || connection.ws.readyState === WebSocket.CLOSED) return null;
    return { connection: connection.seq, ...connection.expectedClose };
  }

  /** Sends one part of no answer, e.g. an unsolicited frame. */
  sendUnsolicited(part: AddressedPart): void {
    const connection = this.connection;
    if (connection) this.deliverPart(connection, null, part);
  }

  /** Drops the socket without a word, as a crashed agent would; it dials again. */
  drop(): void {
    const connection = this.connection;
    if (!connection) return;
    connection.ours = true;
    connection.ws.terminate();
  }

  private dial(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.options.url, {
      headers: { [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION, ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}) },
      maxPayload: 64 * 1024 * 1024,
    });
    // Near the limit already (an earlier socket's items count for the node), the server may close this one for them.
    const nearLimit = this.invalidItemsInWindow() >= this.options.maxInvalidItems - 2;
    const connection: Connection = { seq: ++this.sent.connections, ws, calls: new Map(), streams: new Map(), settled: [], expectedClose: null, uncertain: nearLimit, endedStream: false, heartbeats: null, helloAccepted: false, firstHello: null, ours: false, lastSent: [] };
    this.connection = connection;
    ws.on('error', () => {
      // The close that follows is recorded.
    });
    ws.on('message', (data, isBinary) => this.receive(connection, data, isBinary));
    ws.once('close', (code, data) => {
      const excuse = connection.uncertain ? 'the server may have counted more invalid items than its limit' : null;
      const reason = data.toString();
      this.closes.push({ connection: connection.seq, code, reason, expected: connection.expectedClose, ours: connection.ours, excuse, lastSent: connection.lastSent });
      // The server empties its count when it closes for invalid items, and reads nothing more of
      // the socket; the agent dials again only now: both counts start again from nothing. Kept
      // instead, the agent's count would leave every socket of the next minute uncertain, its
      // answers unchecked.
      if (closedForInvalidItems(code, reason)) this.invalidItemsAt = [];
      if (this.connection === connection) this.connection = null;
      if (!this.stopped) setTimeout(() => this.dial(), this.reconnectDelayMs);
    });
  }

  private receive(connection: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return; // `PONG`
    }
    for (const frame of Array.isArray(parsed) ? parsed : [parsed]) {
      const { id, method, params } = (frame ?? {}) as { id?: unknown; method?: unknown; params?: { path?: unknown; input?: unknown; lastEventId?: unknown } };
      if (typeof id !== 'number') continue;
      if (method === 'subscription.stop') {
        connection.streams.delete(id);
        if (connection.heartbeats === id) this.heartbeatsEnded(connection);
        continue;
      }
      if ((method !== 'query' && method !== 'mutation' && method !== 'subscription') || typeof params?.path !== 'string') continue;
      const decoded = decodeMember(params.input);
      const record: RequestRecord = {
        seq: ++this.requestCount,
        id,
        method,
        path: params.path,
        input: decoded.ok ? decoded.value : undefined,
        ...(typeof params.lastEventId === 'string' ? { lastEventId: params.lastEventId } : {}),
        connection: connection.seq,
        at: Date.now(),
      };
      this.requests.push(record);
      if (this.requests.length > 10_000) this.requests.splice(0, 5_000);
      if (params.path === 'hello') connection.firstHello ??= id;
      if (method === 'subscription') connection.streams.set(id, Object.assign(record, { items: [] }));
      else connection.calls.set(id, record);
      if (record.path === 'node.heartbeats') connection.heartbeats = id;
      const answer = this.options.answer(record, !this.isReady());
      record.answered = answer.kind;
      void this.deliver(connection, record, answer);
    }
  }

  private async deliver(connection: Connection, record: RequestRecord, answer: Answer): Promise<void> {
    this.inFlight++;
    try {
      if (answer.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      for (const part of answer.parts) this.deliverPart(connection, record, part);
      // An agent that accepted an upgrade hands over to the new build: its socket closes once the answer is out, and it
      // dials again (on its old version here). Dropped at once, the answer could be lost with the socket.
      const accepted = record.outcome?.kind === 'accepted' ? (record.outcome.value as { outcome?: unknown } | undefined) : undefined;
      if (record.path === 'agent.upgrade' && accepted?.outcome === 'handing-over') {
        setTimeout(() => this.connection === connection && this.drop(), 50);
      }
    } finally {
      this.inFlight--;
    }
  }

  private deliverPart(connection: Connection, record: RequestRecord | null, { to, part }: AddressedPart): void {
    if (connection.ws.readyState !== WebSocket.OPEN) return;
    if (part.kind === 'close') return this.drop();
    const id = this.address(connection, record, to);
    this.send(connection, agentMessage(id, part), `${record ? `answer to ${record.path} #${record.id}` : 'unsolicited'}: ${describePart(part)} to ${to} id ${JSON.stringify(id)}`);
  }

  private address(connection: Connection, record: RequestRecord | null, to: AddressedPart['to']): FrameId {
    switch (to) {
      case 'self':
        return record?.id ?? this.nextUnknownId++;
      case 'null':
        return null;
      case 'string':
        return 'fake-agent-request';
      case 'reused':
        return connection.settled.at(-1) ?? this.nextUnknownId++;
      case 'live': {
        const other = [...connection.calls.keys(), ...connection.streams.keys()].find((id) => id !== record?.id);
        return other ?? this.nextUnknownId++;
      }
      case 'unknown':
        return this.nextUnknownId++;
    }
  }

  /** Sends a message, first working out what the server must make of it. */
  private send(connection: Connection, message: AgentMessage, label: string): void {
    this.sent.fuzzFrames++;
    if (!connection.expectedClose || connection.expectedClose.deferred) this.judge(connection, message);
    this.log(connection, label);
    connection.ws.send(message.bytes, { binary: message.binary });
  }

  private log(connection: Connection, label: string): void {
    connection.lastSent.push(label);
    if (connection.lastSent.length > LAST_SENT) connection.lastSent.shift();
  }

  private judge(connection: Connection, message: AgentMessage): void {
    const verdict = envelopeVerdict(message, this.options.maxPayloadBytes);
    if (verdict.breaks) {
      this.expectClose(connection, verdict.closeCodes, verdict.reason);
      return;
    }
    if (verdict.keepAlive) return;
    const frame = AgentFrame.parse(JSON.parse(message.bytes.toString()));
    if (typeof frame.id !== 'number') return;
    const call = connection.calls.get(frame.id);
    if (call) {
      connection.calls.delete(frame.id);
      connection.settled.push(frame.id);
      if (connection.settled.length > 50) connection.settled.shift();
      const outcome = this.settle(call, frame);
      // On a socket the server may be closing, the call may fail before its answer is read.
      if (!connection.uncertain && !connection.expectedClose) call.outcome = outcome;
      if (outcome.kind === 'violation') this.expectClose(connection, [CloseCode.ProtocolViolation], `a stream frame in answer to the call ${call.path}`);
      // The server asks `hello` once on every socket and acts on that answer; a later `hello` is a call like any other.
      else if (call.id === connection.firstHello) this.judgeHello(connection, outcome);
      return;
    }
    const stream = connection.streams.get(frame.id);
    if (!stream || 'method' in frame) return;
    if ('error' in frame || frame.result.type === 'stopped') {
      connection.streams.delete(frame.id);
      connection.endedStream = true;
      if (connection.heartbeats === frame.id) this.heartbeatsEnded(connection);
      return;
    }
    if (frame.result.type === 'started') return;
    const item = this.item(stream, frame.result.id, frame.result.data);
    if (item.ok) {
      if (connection.uncertain) delete stream.items;
      else stream.items?.push(item.value);
      return;
    }
    this.invalidItemsInWindow();
    this.invalidItemsAt.push(performance.now());
    if (this.invalidItemsAt.length >= this.options.maxInvalidItems - 2) this.passLimit(connection);
  }

  /** Invalid items sent within the server's window, by the agent's clock. */
  private invalidItemsInWindow(): number {
    const since = performance.now() - this.options.invalidItemWindowMs;
    this.invalidItemsAt = this.invalidItemsAt.filter((at) => at > since);
    return this.invalidItemsAt.length;
  }

  /**
   * Near the server's limit of invalid items, the agent passes it beyond doubt, so that both
   * sides know when the socket closes for it: the limit and one more invalid heartbeat. The
   * server does not count items the agent counts as invalid while the server has dropped
   * their stream already (an unsubscribe crossing them on the wire), so its count is never
   * above the agent's, and two below the limit it has not closed yet. The heartbeat stream is
   * live unless the agent ended a stream on the socket (the server drops a node's streams
   * when one ends); else the socket's fate is left uncertain, and the next invalid item tries
   * again.
   */
  private passLimit(connection: Connection): void {
    if (connection.heartbeats === null || connection.endedStream) {
      connection.uncertain = true;
      for (const stream of connection.streams.values()) delete stream.items;
      return;
    }
    this.invalidItemsAt = [];
    const invalid = JSON.stringify({ id: connection.heartbeats, result: { type: 'data', data: { json: null } } });
    for (let i = 0; i <= this.options.maxInvalidItems; i++) connection.ws.send(invalid);
    this.sent.fuzzFrames += this.options.maxInvalidItems + 1;
    this.log(connection, `${this.options.maxInvalidItems + 1} invalid heartbeats, past the server's limit`);
    this.expectClose(connection, [CloseCode.ProtocolViolation], `more than ${this.options.maxInvalidItems} invalid items`);
  }

  private settle(call: RequestRecord, frame: AgentFrame): CallOutcome {
    if ('error' in frame) return { kind: 'error' };
    if (!('result' in frame) || frame.result.type === 'started' || frame.result.type === 'stopped') return { kind: 'violation' };
    const decoded = decodeMember(frame.result.data);
    const checked = decoded.ok ? this.options.procedures.get(call.path)?.schema.safeParse(decoded.value) : undefined;
    return checked?.success ? { kind: 'accepted', value: checked.data } : { kind: 'refused' };
  }

  /** A `hello` the server cannot accept gets the socket closed: 4408 for a refused answer, 4426 for another protocol. */
  private judgeHello(connection: Connection, outcome: CallOutcome): void {
    if (outcome.kind !== 'accepted') {
      this.expectClose(connection, [CloseCode.HelloTimeout], `hello answered ${outcome.kind === 'error' ? 'with an error' : 'with a value the contract refuses'}`, true);
      return;
    }
    const version = (outcome.value as { protocolVersion: string }).protocolVersion;
    if (!isCompatibleProtocol(version)) this.expectClose(connection, [CloseCode.ProtocolVersionUnsupported], `hello announced protocol ${JSON.stringify(version.slice(0, 40))}`, true);
    else connection.helloAccepted = true;
  }

  /** Records that the server must close the socket with one of `codes`; a close still owed keeps its codes as well. */
  private expectClose(connection: Connection, codes: number[], why: string, deferred = false): void {
    // The server may stop reading at any frame from here: what its streams deliver is no longer known.
    for (const stream of connection.streams.values()) delete stream.items;
    const owed = connection.expectedClose;
    // Past its limit of invalid items the server may have closed the socket for them first.
    const all = new Set([...(owed?.codes ?? []), ...codes, ...(connection.uncertain ? [CloseCode.ProtocolViolation] : [])]);
    connection.expectedClose = { codes: [...all], why: owed ? `${owed.why}, then ${why}` : why, deferred: deferred && (owed?.deferred ?? true) };
  }

  /** The contract's verdict on one stream item (a tracked item's event id must match its envelope's). */
  private item(stream: RequestRecord, eventId: string | undefined, data: unknown): { ok: true; value: unknown } | { ok: false } {
    const procedure = this.options.procedures.get(stream.path);
    const decoded = decodeMember(data);
    if (!procedure || !decoded.ok) return { ok: false };
    if (!procedure.tracked) {
      const checked = procedure.schema.safeParse(decoded.value);
      return checked.success ? { ok: true, value: checked.data } : { ok: false };
    }
    const envelope = decoded.value as { id?: unknown; data?: unknown } | null;
    if (eventId === undefined || typeof envelope !== 'object' || envelope === null || envelope.id !== eventId) return { ok: false };
    const checked = procedure.schema.safeParse(envelope.data);
    return checked.success ? { ok: true, value: { id: eventId, data: checked.data } } : { ok: false };
  }

  /** The server no longer reads this socket's heartbeats (see `redialWithoutHeartbeats`). */
  private heartbeatsEnded(connection: Connection): void {
    connection.heartbeats = null;
    if (!this.options.redialWithoutHeartbeats) return;
    setTimeout(() => {
      if (this.connection === connection) this.drop();
    }, 20);
  }

  private sendHeartbeat(): void {
    const connection = this.connection;
    if (!connection || connection.heartbeats === null || connection.ws.readyState !== WebSocket.OPEN) return;
    const beat = sampleHeartbeat({ seq: ++this.beat, nodeName: this.options.nodeName, engine: { up: true, version: '20.10.24' } });
    connection.ws.send(JSON.stringify({ id: connection.heartbeats, result: { type: 'data', data: { json: beat } } }));
    this.sent.heartbeats++;
    if (connection.expectedClose || connection.uncertain) return;
    connection.streams.get(connection.heartbeats)?.items?.push(beat);
  }
}

/** One part of a message, as a report names it: its kind and how its value was made. */
function describePart(part: Exclude<AnswerPart, { kind: 'close' }>): string {
  switch (part.kind) {
    case 'raw':
      return part.label;
    case 'result':
    case 'item':
      return `${part.kind} (${part.data.label})`;
    case 'error':
      return `error (${part.error.label})`;
    default:
      return part.kind;
  }
}
