import type { Msg, Subscription } from '@nats-io/transport-node';
import { agentContract } from '../contract/agentContract.js';
import { flattenContract } from '../contract/procedure.js';
import { AgentError } from '../errors.js';
import { CarriedStream } from './CarriedStream.js';
import type { ClusterContext } from './ClusterContext.js';
import { decode, decodeNodeRequest, encode, errorReply, OwnerRequest, type OwnerReply, packValue, unpackValue } from './clusterWire.js';

const PROCEDURES = flattenContract(agentContract);

/**
 * The owner's side of a cluster replica: it serves one subject of its own, on which other
 * replicas send what they have for the nodes they believe it holds, and runs what arrives on
 * its local link: calls, and streams carried to readers on other replicas. A node it does
 * not serve (not connected here, or claimed by another since) is `away`, and the caller asks
 * again wherever the node is then.
 *
 * Why a subject per replica and not per node: a node's subject changed subscribers at every
 * handover, and a request the server had already routed to the old owner's subscription as
 * it was dropped was discarded by the client, unanswered: the caller, which had addressed the
 * new owner, waited its whole deadline (30 s) for nobody. A replica's subject lives as long
 * as the replica, so a request reaches the owner it was meant for, which answers it.
 *
 * For replicas of a version from before (during a rolling upgrade), it also serves the subject
 * of each node it holds, as they did: in the queue group `owner`, the node named by the
 * subject. Those requests keep the handover race; replicas of this version send there only to
 * an owner that serves no subject of its own (see `requestOwner`). Every reply names this
 * replica, so a sender can tell it from one of before.
 */
export class OwnerEndpoint {
  /** The nodes served, each with its subscription to the node's own subject. */
  private readonly served = new Map<string, Subscription>();
  private readonly carried = new Set<CarriedStream>();
  private readonly subscription: Subscription | null;

  constructor(
    private readonly context: ClusterContext,
    /** Another replica asks this owner to close and drop a node (it was revoked there). */
    private readonly onForget: (nodeId: string, code: number, reason: string) => Promise<void>,
  ) {
    this.subscription = context.actAsOldReplica
      ? null
      : context.nc.subscribe(context.names.owner(context.replicaId), {
          callback: (error, message) => {
            if (!error) void this.handle(message, decode(OwnerRequest, message.data));
          },
        });
  }

  serve(nodeId: string): void {
    if (this.served.has(nodeId)) return;
    const subscription = this.context.nc.subscribe(this.context.names.node(nodeId), {
      queue: 'owner',
      callback: (error, message) => {
        if (!error) void this.handle(message, decodeNodeRequest(message.data, nodeId));
      },
    });
    this.served.set(nodeId, subscription);
  }

  /** Stops serving `nodeId`; its carried streams are told to move (the reader opens them at the new owner). */
  unserve(nodeId: string): void {
    this.served.get(nodeId)?.unsubscribe();
    this.served.delete(nodeId);
    for (const stream of [...this.carried]) if (stream.nodeId === nodeId) stream.moved();
  }

  /** Fails `nodeId`'s carried streams with `error`: the node is gone, not moved, and their readers are told so. */
  failCarried(nodeId: string, error: AgentError): void {
    for (const stream of [...this.carried]) if (stream.nodeId === nodeId) stream.fail(error);
  }

  isServing(nodeId: string): boolean {
    return this.served.has(nodeId);
  }

  /** Ends the streams carried to a replica that died: nobody reads them any more. */
  readerDown(replicaId: string): void {
    for (const stream of [...this.carried]) if (stream.reader === replicaId) stream.end();
  }

  /** Ends every carried stream: after the engine connection came back, their readers open them again. */
  endCarried(): void {
    for (const stream of [...this.carried]) stream.end();
  }

  /** Streams carried from here right now (for tests and operators). */
  carriedStreams(): readonly CarriedStream[] {
    return [...this.carried];
  }

  close(): void {
    for (const nodeId of [...this.served.keys()]) this.unserve(nodeId);
    this.subscription?.unsubscribe();
  }

  private async handle(message: Msg, request: OwnerRequest | null): Promise<void> {
    const from = this.context.actAsOldReplica ? undefined : this.context.replicaId;
    const reply = (answer: OwnerReply) => {
      if (message.reply) message.respond(encode({ ...answer, from }));
    };
    if (!request) return reply(errorReply(new AgentError('INTERNAL', 'a replica sent a request this replica cannot read')));
    const nodeId = request.node;
    if (request.t === 'forget') {
      // Only the replica that holds the node forgets it for the cluster: one that held it before
      // a handover would fail its own readers' streams of a node alive elsewhere.
      if (!this.served.has(nodeId) && !this.context.local.isConnected(nodeId)) return reply({ t: 'away' });
      try {
        await this.onForget(nodeId, request.code, request.reason);
      } catch (error) {
        return reply(errorReply(error));
      }
      return reply({ t: 'ok' });
    }
    if (!this.served.has(nodeId) || !this.context.local.isConnected(nodeId)) return reply({ t: 'away' });
    const procedure = PROCEDURES.get(request.path);
    if (request.t === 'call') {
      if (!procedure || procedure.kind === 'subscription') return reply(errorReply(new AgentError('NOT_SUPPORTED', `no query or mutation ${request.path}`)));
      try {
        const value = await this.context.local.transport(nodeId).call(procedure, request.path, unpackValue(request.input), { timeoutMs: request.timeoutMs });
        return reply({ t: 'ok', value: packValue(value) });
      } catch (error) {
        return reply(errorReply(error));
      }
    }
    if (!procedure || procedure.kind !== 'subscription') return reply(errorReply(new AgentError('NOT_SUPPORTED', `no subscription ${request.path}`)));
    const stream = new CarriedStream(this.context, {
      nodeId,
      streamId: request.stream,
      reader: request.reader,
      procedure,
      path: request.path,
      input: unpackValue(request.input),
      credit: request.credit,
      onEnded: (ended) => this.carried.delete(ended),
    });
    this.carried.add(stream);
    // The reply goes first: the reader counts items only once its leg is open.
    reply({ t: 'ok' });
    stream.start();
  }
}
