import type { Msg } from '@nats-io/transport-node';
import type { ClusterContext } from './ClusterContext.js';
import { decode, encode, encodeForNodeSubject, isNoResponders, OwnerReply, type OwnerRequest } from './clusterWire.js';

type Route = 'owner' | 'node';

/**
 * Sends one request to `owner`, the replica believed to hold `request.node`, and returns its
 * reply (null for one that is not a reply). Rejects as the engine's request does: no
 * responders (nobody serves either subject), a timeout, a closed connection.
 *
 * The owner's own subject comes first: only that replica serves it, so the request reaches
 * the owner it was meant for even mid-handover. A replica from before per-replica subjects
 * (met during a rolling upgrade) serves only the node's subject, so the engine answers "no
 * responders" at once (NATS 2.2+ with headers, which the client turns on by itself); then the
 * node's subject is asked, in the form those replicas read, and an owner that answered there
 * without naming itself is remembered as old for a while, so the next requests go straight to
 * the node's subject and do not pay the miss again. The node's subject keeps the handover race
 * for those requests alone: between two replicas of this version it is never used while the
 * owner's subject answers.
 */
export async function requestOwner(context: ClusterContext, owner: string, request: OwnerRequest, timeoutMs: number): Promise<OwnerReply | null> {
  const { nc, names, oldReplicas } = context;
  const deadline = performance.now() + timeoutMs;
  const send = (route: Route): Promise<Msg> => {
    const timeout = Math.max(1, Math.floor(deadline - performance.now()));
    return route === 'owner' ? nc.request(names.owner(owner), encode(request), { timeout }) : nc.request(names.node(request.node), encodeForNodeSubject(request), { timeout });
  };
  // A replica acting as one from before (tests of a mixed cluster) knows only the node's subject.
  if (context.actAsOldReplica) return decode(OwnerReply, (await send('node')).data);
  let route: Route = oldReplicas.isOld(owner) ? 'node' : 'owner';
  let message: Msg;
  try {
    message = await send(route);
  } catch (error) {
    if (!isNoResponders(error) || performance.now() >= deadline) throw error;
    route = route === 'owner' ? 'node' : 'owner';
    message = await send(route);
  }
  const reply = decode(OwnerReply, message.data);
  if (route === 'owner' || reply?.from === owner) oldReplicas.forget(owner);
  else if (reply && reply.from === undefined) oldReplicas.markOld(owner);
  // Answered on the node's subject by another replica of this version: the owner believed in is gone, not old.
  return reply;
}
