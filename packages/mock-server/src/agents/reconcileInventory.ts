import type { ContainerEvent, Inventory } from '@lormas/protocol';
import type { ContainerStore } from '../store/ContainerStore.js';

export interface InventoryReport {
  /** Server containers of this node found in the inventory. */
  matched: number;
  /** Server containers of this node the inventory lacks; marked `missing`. */
  missing: string[];
  /** Docker ids of managed containers the server has no record of on this node. */
  unknown: string[];
}

/**
 * Brings the store's observed state of a node's containers in line with the agent's
 * inventory, read after every (re)connect. Only the observed state changes: the server's
 * desired state wins, and acting on `unknown` copies is the failover controller's business.
 */
export async function reconcileInventory(containers: ContainerStore, nodeId: string, inventory: Inventory): Promise<InventoryReport> {
  const report: InventoryReport = { matched: 0, missing: [], unknown: [] };
  const records = await containers.list(nodeId);
  const claimed = new Set<string>();
  for (const record of records) {
    const found = inventory.containers.find((c) => c.serverId === record.id) ?? inventory.containers.find((c) => record.dockerId !== null && c.id === record.dockerId);
    if (found) {
      claimed.add(found.id);
      report.matched += 1;
      await containers.update(record.id, { dockerId: found.id, observedState: found.state });
    } else {
      report.missing.push(record.id);
      await containers.update(record.id, { observedState: 'missing' });
    }
  }
  report.unknown = inventory.containers.filter((c) => !claimed.has(c.id)).map((c) => c.id);
  return report;
}

/** The observed state a container event leaves behind; `null` for events that change none. */
const STATE_AFTER: Record<ContainerEvent['type'], string | null> = {
  create: 'created',
  start: 'running',
  restart: 'running',
  unpause: 'running',
  pause: 'paused',
  die: 'exited',
  stop: 'exited',
  oom: null,
  health: null,
  destroy: 'removed',
};

/**
 * Records a container event of `nodeId` on the matching server container, if any. A stop the
 * agent made because a guard rail no longer held is kept on the record until the next start.
 */
export async function applyContainerEvent(containers: ContainerStore, nodeId: string, event: ContainerEvent): Promise<void> {
  const state = STATE_AFTER[event.type];
  if (state === null) return;
  const record =
    (event.serverId ? await containers.get(event.serverId) : null) ?? (await containers.list(nodeId)).find((c) => c.dockerId === event.containerId) ?? null;
  if (!record || record.nodeId !== nodeId) return;
  const guardRailStop = event.guardRail ? { guardRailStop: { ...event.guardRail, at: event.at } } : state === 'running' ? { guardRailStop: null } : {};
  await containers.update(record.id, { observedState: state, ...guardRailStop, ...(event.type === 'create' ? { dockerId: event.containerId } : {}) });
}
