import type { RawData, WebSocket } from 'ws';
import { agentContract } from '../contract/agentContract.js';
import { flattenContract, type Procedure } from '../contract/procedure.js';
import { ErrorCode } from '../errorCodes.js';
import { AgentError } from '../errors.js';
import { FlowMeter, type FlowMeterOptions } from '../link/flowMeter.js';
import { linkTransformer } from '../link/transformer.js';
import { Limit } from '../schemas/limits.js';
import { type CallFrame, PING, PONG, type RequestId, ServerFrame } from '../wire/frames.js';
import { RpcCode } from '../wire/rpcCodes.js';
import type { AgentHandlers, StreamContext } from './handlers.js';

export interface ServeAgentLinkOptions {
  handlers: AgentHandlers;
  /** Called with every error a call ends with (a refused input, a handler's failure), for logging. */
  onError?: (error: AgentError, path: string | undefined) => void;
  /** Flow control of bulk streams; see `SendWindow`. */
  flow?: FlowMeterOptions;
  /**
   * Most subscriptions open at once on this link; one more is refused with `LIMIT_EXCEEDED`.
   * A server holds a handful per node (heartbeats, events) plus one per log reader and per
   * watched operation.
   * @default 256
   */
  maxSubscriptions?: number;
  /**
   * Most calls in one batched frame; a longer batch is refused whole.
   * @default 256
   */
  maxBatch?: number;
}

/** The link as a running subscription sees it. */
interface Served {
  meter: FlowMeter;
  options: ServeAgentLinkOptions;
  subscriptions: Map<RequestId, AbortController>;
}

const procedures = flattenContract(agentContract);

/**
 * The agent end of the reverse link: serves the contract over a socket the agent dialled
 * out, so the server calls the agent as if the agent were the server. It speaks tRPC's
 * WebSocket message format (see `wire/frames.ts`): a stock tRPC client can call it.
 *
 * Every frame is parsed before anything acts on it; every input is checked against its
 * procedure's strict schema and every output against its output schema, except the items of
 * a stream marked `checkedBySender: false` (logs), which only the server checks. Subscriptions end
 * when the server stops them or the socket closes; queries and mutations in flight are left
 * to finish (the agent's shutdown drains them), their answers dropped if the socket is gone.
 *
 * Attach it in the tick the socket is created, before any message can arrive.
 */
export function serveAgentLink(socket: WebSocket, options: ServeAgentLinkOptions): void {
  const served: Served = { meter: new FlowMeter(socket, options.flow), options, subscriptions: new Map() };
  socket.on('message', (data: RawData, isBinary: boolean) => {
    try {
      onMessage(served, data, isBinary);
    } catch (error) {
      // Nothing the server sends may take the agent down; a bug here is reported and the link goes on.
      options.onError?.(AgentError.from(error), undefined);
    }
  });
  socket.once('close', () => {
    for (const subscription of served.subscriptions.values()) subscription.abort();
    served.subscriptions.clear();
  });
}

function onMessage(served: Served, data: RawData, isBinary: boolean): void {
  if (isBinary) return fail(served, null, undefined, new AgentError('BAD_INPUT', 'binary frames are not part of the protocol'));
  const text = data.toString();
  if (text === PING) return served.meter.send(PONG);
  if (text === PONG) return;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail(served, null, undefined, new AgentError('BAD_INPUT', 'the frame is not JSON'));
  }
  if (!Array.isArray(json)) return void handle(served, json);
  const maxBatch = served.options.maxBatch ?? 256;
  if (json.length > maxBatch) return fail(served, null, undefined, new AgentError('LIMIT_EXCEEDED', `a batch may hold at most ${maxBatch} calls`));
  for (const frame of json) void handle(served, frame);
}

async function handle(served: Served, raw: unknown): Promise<void> {
  const parsed = ServerFrame.safeParse(raw);
  if (!parsed.success) {
    const id = (raw as { id?: unknown } | null)?.id;
    const known = typeof id === 'number' || (typeof id === 'string' && id.length <= Limit.idChars) ? id : null;
    return fail(served, known, undefined, AgentError.from(parsed.error));
  }
  const frame = parsed.data;
  if (frame.method === 'subscription.stop') {
    served.subscriptions.get(frame.id)?.abort();
    return;
  }
  const { path } = frame.params;
  const procedure = procedures.get(path);
  if (!procedure || procedure.kind !== frame.method) {
    return fail(served, frame.id, path, new AgentError('NOT_SUPPORTED', procedure ? `${path} is a ${procedure.kind}, not a ${frame.method}` : `this agent serves no procedure ${path}`));
  }
  let input: unknown;
  try {
    input = decodeInput(frame, procedure);
  } catch (error) {
    return fail(served, frame.id, path, AgentError.from(error));
  }
  if (procedure.kind === 'subscription') return subscribe(served, frame, procedure, input);
  try {
    const handler = handlerAt(served.options.handlers, path) as (input: unknown) => Promise<unknown>;
    const output = await handler(input);
    const checked = procedure.output.safeParse(output);
    if (!checked.success) throw new AgentError('INTERNAL', `the agent's answer to ${path} does not match the contract`, { cause: checked.error });
    respond(served, frame, { type: 'data', data: linkTransformer.serialize(checked.data) });
  } catch (error) {
    fail(served, frame.id, path, AgentError.from(error), frame.jsonrpc);
  }
}

/** The call's input, decoded and parsed; throws `BAD_INPUT`. A resumed subscription's `lastEventId` goes into the input, as tRPC's adapter does. */
function decodeInput(frame: CallFrame, procedure: Procedure): unknown {
  let input: unknown;
  try {
    input = frame.params.input === undefined ? undefined : linkTransformer.deserialize(frame.params.input as never);
  } catch {
    throw new AgentError('BAD_INPUT', 'the input is not in the link\'s encoding');
  }
  const { lastEventId } = frame.params;
  if (lastEventId !== undefined) {
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) input = { ...input, lastEventId };
    else input ??= { lastEventId };
  }
  if (!procedure.input) {
    if (input !== undefined) throw new AgentError('BAD_INPUT', `${frame.params.path} takes no input`);
    return undefined;
  }
  return procedure.input.parse(input);
}

function handlerAt(handlers: AgentHandlers, path: string): unknown {
  let node: unknown = handlers;
  for (const name of path.split('.')) node = (node as Record<string, unknown>)[name];
  return node;
}

async function subscribe(served: Served, frame: CallFrame, procedure: Procedure & { kind: 'subscription' }, input: unknown): Promise<void> {
  const { id, params } = frame;
  const { subscriptions, options } = served;
  if (subscriptions.has(id)) return fail(served, id, params.path, new AgentError('BAD_INPUT', `a subscription with id ${id} is already open`), frame.jsonrpc);
  const max = options.maxSubscriptions ?? 256;
  if (subscriptions.size >= max) return fail(served, id, params.path, new AgentError('LIMIT_EXCEEDED', `at most ${max} subscriptions may be open on a link`), frame.jsonrpc);
  const controller = new AbortController();
  subscriptions.set(id, controller);
  const ctx: StreamContext = { link: served.meter, signal: controller.signal };
  let iterator: AsyncIterator<unknown> | null = null;
  try {
    const handler = handlerAt(options.handlers, params.path) as (input: unknown, ctx: StreamContext) => AsyncIterable<unknown>;
    iterator = handler(input, ctx)[Symbol.asyncIterator]();
    respond(served, frame, { type: 'started' });
    while (true) {
      const next = await nextUnlessAborted(iterator, controller.signal);
      if (next === ABORTED || next.done) break;
      respond(served, frame, itemResult(procedure, next.value, params.path));
    }
    respond(served, frame, { type: 'stopped' });
  } catch (error) {
    // A stream the server stopped ends quietly, whatever its handler threw on the way out.
    if (controller.signal.aborted) respond(served, frame, { type: 'stopped' });
    else fail(served, id, params.path, AgentError.from(error), frame.jsonrpc);
  } finally {
    controller.abort();
    if (subscriptions.get(id) === controller) subscriptions.delete(id);
    // Ends the handler's generator; one suspended in an await ends when that settles.
    iterator?.return?.().catch(() => {});
  }
}

const ABORTED = Symbol('aborted');

/**
 * The iterator's next item, or `ABORTED` as soon as the signal aborts, whichever comes first.
 * The abort listener lives for one item only: racing every item against one long-lived
 * promise would add a reaction to it per item, which a log stream of hours turns into a leak
 * (measured: 50 MiB of heap in 40 s of ten floods).
 */
function nextUnlessAborted<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T> | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The data frame of a stream item, checked against the contract. */
function itemResult(procedure: Procedure & { kind: 'subscription' }, value: unknown, path: string): Record<string, unknown> {
  if (!procedure.tracked) return { type: 'data', data: linkTransformer.serialize(parseItem(procedure, value, path)) };
  const { id, data } = value as { id: string; data: unknown };
  return { type: 'data', id, data: linkTransformer.serialize({ id, data: parseItem(procedure, data, path) }) };
}

function parseItem(procedure: Procedure & { kind: 'subscription' }, value: unknown, path: string): unknown {
  // The server checks every item on receipt; this check only catches the agent's own bugs early.
  if (!procedure.checkedBySender) return value;
  const checked = procedure.item.safeParse(value);
  if (!checked.success) throw new AgentError('INTERNAL', `an item of ${path} does not match the contract`, { cause: checked.error });
  return checked.data;
}

function respond(served: Served, frame: CallFrame, result: Record<string, unknown>): void {
  served.meter.send(JSON.stringify(frame.jsonrpc ? { id: frame.id, jsonrpc: frame.jsonrpc, result } : { id: frame.id, result }));
}

/** Answers a call with an error, in tRPC's error shape with our code in `data.lormas`. */
function fail(served: Served, id: RequestId | null, path: string | undefined, error: AgentError, jsonrpc?: '2.0'): void {
  served.options.onError?.(error, path);
  const rpcName = ErrorCode[error.code];
  const rpc = RpcCode[rpcName];
  const shape = {
    code: rpc.number,
    message: error.message.slice(0, Limit.messageChars),
    data: { code: rpcName, httpStatus: rpc.httpStatus, ...(path ? { path } : {}), lormas: error.toShape() },
  };
  const frame: Record<string, unknown> = { id, error: linkTransformer.serialize(shape) };
  if (jsonrpc) frame['jsonrpc'] = jsonrpc;
  served.meter.send(JSON.stringify(frame));
}
