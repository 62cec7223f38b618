import type { CallProcedure } from '../contract/procedure.js';
import { AgentError } from '../errors.js';
import { isTimerMs, MAX_TIMER_MS } from '../link/timerMs.js';
import type { CallOptions } from '../server/NodeLink.js';
import type { ClusterContext } from './ClusterContext.js';
import { isNoResponders, type OwnerReply, type OwnerRequest, packValue, replyError, unpackValue } from './clusterWire.js';
import { requestOwner } from './requestOwner.js';

const isTimeout = (error: unknown) => (error as Error)?.name === 'TimeoutError' || (error as { cause?: Error })?.cause?.name === 'TimeoutError';

/**
 * A query or mutation for `nodeId` from any replica: on the local link when this replica
 * holds the node's socket, otherwise sent to the owner (`requestOwner`) and answered from
 * the owner's link. The deadline and the coded errors are a
 * local call's: while the node is away (no owner, an owner without the socket, or nobody
 * serving the subject yet) the call waits and asks again until its deadline, as a local
 * call waits for the node to dial back; no answer in time is `AGENT_TIMEOUT`. An owner that
 * dies before it answers fails the call with `AGENT_UNAVAILABLE`: it may have been carried
 * out, so mutations carry an operation id, as on a socket that closes.
 */
export async function forwardCall(context: ClusterContext, nodeId: string, procedure: CallProcedure, path: string, input: unknown, options: CallOptions = {}): Promise<unknown> {
  const { signal } = options;
  if (signal?.aborted) throw signal.reason;
  if (options.timeoutMs !== undefined && !isTimerMs(options.timeoutMs)) {
    throw new TypeError(`timeoutMs must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${String(options.timeoutMs)}`);
  }
  const timeoutMs = options.timeoutMs ?? context.callTimeoutMs;
  const deadline = performance.now() + timeoutMs;
  const timedOut = () => new AgentError('AGENT_TIMEOUT', `agent of node ${nodeId} did not answer ${path} within ${timeoutMs} ms`);
  let packed: ReturnType<typeof packValue> | null = null;
  for (let wait = context.retryBaseMs; ; wait = Math.min(wait * 2, context.retryMaxMs)) {
    const remaining = Math.floor(deadline - performance.now());
    if (remaining <= 0) throw timedOut();
    const owner = context.liveOwner(nodeId);
    if (owner === context.replicaId && context.local.isConnected(nodeId)) {
      return context.local.transport(nodeId).call(procedure, path, input, { timeoutMs: remaining, signal });
    }
    if (owner !== null && owner !== context.replicaId) {
      packed ??= packValue(input);
      const reply = await askOwner(context, nodeId, owner, { t: 'call', node: nodeId, path, input: packed, timeoutMs: remaining }, remaining, signal);
      if (reply === 'timeout') throw timedOut();
      if (reply !== 'away') {
        if (reply.t === 'ok') return unpackValue(reply.value);
        if (reply.t === 'error') throw replyError(reply.error);
      }
    }
    await context.settle(nodeId, Math.min(wait, Math.max(1, Math.floor(deadline - performance.now()))), signal);
    if (signal?.aborted) throw signal.reason;
  }
}

/**
 * One request to the owner. `away` when nobody serves the subject or the owner does not
 * hold the socket; `timeout` when the deadline passed; rejects with `AGENT_UNAVAILABLE` when
 * the owner is judged dead while the request waits, and with the signal's reason on abort.
 */
async function askOwner(
  context: ClusterContext,
  nodeId: string,
  owner: string,
  request: OwnerRequest,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<OwnerReply | 'away' | 'timeout'> {
  let onDown!: () => void;
  let onAbort!: () => void;
  const interrupted = new Promise<never>((_, reject) => {
    onDown = () => reject(new AgentError('AGENT_UNAVAILABLE', `the replica holding node ${nodeId} went away before it answered`));
    onAbort = () => reject(signal!.reason);
  });
  const forgetDown = context.whenDown(owner, onDown);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const reply = await Promise.race([requestOwner(context, owner, request, timeoutMs), interrupted]);
    if (!reply) throw new AgentError('INTERNAL', `the replica holding node ${nodeId} answered with something that is not a reply`);
    return reply.t === 'away' ? 'away' : reply;
  } catch (error) {
    if (isNoResponders(error)) return 'away';
    if (isTimeout(error)) return 'timeout';
    if (error instanceof AgentError || error === signal?.reason) throw error;
    // The engine itself is unreachable (reconnecting): ask again until the deadline.
    context.report(error, `call to node ${nodeId}`);
    return 'away';
  } finally {
    forgetDown();
    signal?.removeEventListener('abort', onAbort);
  }
}
