import type { Msg, Subscription } from '@nats-io/transport-node';
import { agentContract } from '../contract/agentContract.js';
import { flattenContract } from '../contract/procedure.js';
import { AgentError } from '../errors.js';
import { CarriedStream } from './CarriedStream.js';
import type { ClusterContext } from './ClusterContext.js';
import { decode, encode, errorReply, OwnerRequest, type OwnerReply, packValue, unpackValue } from './clusterWire.js';

const PROCEDURES = flattenContract(agentContract);

/**
 * The owner's side of a cluster replica: while it holds a node, it serves the node's
 * subject (in a queue group, so a message is handled once even while a handover briefly
 * leaves two subscribers) and runs what arrives on its local link: calls, and streams
 * carried to readers on other replicas. A node that is not connected here is `away`.
 */
export class OwnerEndpoint {
  private readonly served = new Map<string, Subscription>();
  private readonly carried = new Set<CarriedStream>();

  constructor(
    private readonly context: ClusterContext,
    /** Another replica asks this owner to close and drop a node (it was revoked there). */
    private readonly onForget: (nodeId: string, code: number, reason: string) => Promise<void>,
  ) {}

  serve(nodeId: string): void {
    if (this.served.has(nodeId)) return;
    const subscription = this.context.nc.subscribe(this.context.names.node(nodeId), {
      queue: 'owner',
      callback: (error, message) => {
        if (!error) void this.handle(nodeId, message);
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
  }

  private async handle(nodeId: string, message: Msg): Promise<void> {
    const request = decode(OwnerRequest, message.data);
    const reply = (answer: OwnerReply) => {
      if (message.reply) message.respond(encode(answer));
    };
    if (!request) return reply(errorReply(new AgentError('INTERNAL', 'a replica sent a request this replica cannot read')));
    if (request.t === 'forget') {
      await this.onForget(nodeId, request.code, request.reason);
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
