import { AgentError, ManagedLabel } from '@lormas/protocol';

/**
 * Throws `NOT_MANAGED` unless the container carries this agent's labels: created by a
 * Lormas agent (`lormas.managed=true`) and by this node (`lormas.node`). Another node's
 * container on a shared engine, or anything an operator started by hand, is left alone.
 */
export function assertManaged(labels: Record<string, string>, nodeId: string): void {
  if (labels[ManagedLabel.managed] !== 'true' || labels[ManagedLabel.node] !== nodeId) {
    throw new AgentError('NOT_MANAGED', 'this container is not managed by this agent; it will not be touched');
  }
}

/** The labels this agent puts on every container it creates. */
export function managedLabels(nodeId: string, serverId?: string): Record<string, string> {
  return {
    [ManagedLabel.managed]: 'true',
    [ManagedLabel.node]: nodeId,
    ...(serverId === undefined ? {} : { [ManagedLabel.serverId]: serverId }),
  };
}
