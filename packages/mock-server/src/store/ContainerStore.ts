import { ContainerSpec } from '@lormas/protocol';
import { ServerError } from '../errors.js';
import { newId } from './ids.js';
import { insertUnique } from './insertUnique.js';
import type { SqlDatabase } from './SqlDatabase.js';
import { StoreChanges } from './StoreChanges.js';

/** What the server wants of a container; failover and reconciliation act on it. */
export type DesiredState = 'running' | 'stopped';

/** An agent's guard rail stopped a running container: which rule, why, and when (epoch milliseconds). */
export interface GuardRailStop {
  rule: string;
  message: string;
  at: number;
}

export interface ContainerRecord {
  /** The server's own id; it stays when the container moves to another node. */
  id: string;
  nodeId: string;
  name: string;
  spec: ContainerSpec;
  /** Whether failover moves this container when its node is lost. */
  ha: boolean;
  /** The cluster failover tries after the lost node's own cluster; null for none. */
  preferredClusterId: string | null;
  /**
   * Agent-side fencing: the agent stops its copy once it has lost the server this long
   * (milliseconds). Given to every copy, so a moved container stays fenced; null is off.
   */
  fenceAfterMs: number | null;
  desiredState: DesiredState;
  /** Docker's id on the current node, once the agent created it. */
  dockerId: string | null;
  /** The last state the agent reported (`running`, `exited`...), or `missing` when its inventory lacks it. */
  observedState: string | null;
  /** The agent stopped the container because a guard rail no longer held; cleared when it starts again. */
  guardRailStop: GuardRailStop | null;
  createdAt: number;
  updatedAt: number;
}

interface ContainerRow {
  id: string;
  node_id: string;
  name: string;
  spec: string;
  ha: number;
  preferred_cluster_id: string | null;
  fence_after_ms: number | null;
  desired_state: DesiredState;
  docker_id: string | null;
  observed_state: string | null;
  guard_rail_stop: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: ContainerRow): ContainerRecord => ({
  id: row.id,
  nodeId: row.node_id,
  name: row.name,
  spec: ContainerSpec.parse(JSON.parse(row.spec)),
  ha: row.ha === 1,
  preferredClusterId: row.preferred_cluster_id,
  fenceAfterMs: row.fence_after_ms,
  desiredState: row.desired_state,
  dockerId: row.docker_id,
  observedState: row.observed_state,
  guardRailStop: row.guard_rail_stop === null ? null : (JSON.parse(row.guard_rail_stop) as GuardRailStop),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The containers the server placed, with the spec it holds for each. */
export class ContainerStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
    private readonly changes: StoreChanges = new StoreChanges(),
  ) {}

  /** Records a container before the agent is asked to create it; a taken name is a `CONFLICT`. */
  async create(input: { nodeId: string; spec: ContainerSpec; ha: boolean; desiredState: DesiredState; preferredClusterId?: string | null; fenceAfterMs?: number | null }): Promise<ContainerRecord> {
    const at = this.now();
    const record: ContainerRecord = {
      id: newId('ctr'),
      name: input.spec.name,
      dockerId: null,
      observedState: null,
      guardRailStop: null,
      createdAt: at,
      updatedAt: at,
      ...input,
      preferredClusterId: input.preferredClusterId ?? null,
      fenceAfterMs: input.fenceAfterMs ?? null,
    };
    await insertUnique(
      () =>
        this.db.run('INSERT INTO containers (id, node_id, name, spec, ha, preferred_cluster_id, fence_after_ms, desired_state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
          record.id,
          record.nodeId,
          record.name,
          JSON.stringify(record.spec),
          record.ha ? 1 : 0,
          record.preferredClusterId,
          record.fenceAfterMs,
          record.desiredState,
          at,
          at,
        ]),
      `a container named "${input.spec.name}" exists already`,
    );
    this.changes.announce({ kind: 'container', action: 'created', id: record.id, before: null, after: record });
    return record;
  }

  async get(id: string): Promise<ContainerRecord | null> {
    const row = await this.db.get<ContainerRow>('SELECT * FROM containers WHERE id = ?', [id]);
    return row ? toRecord(row) : null;
  }

  /** A container by server id or by name, or null. */
  async find(idOrName: string): Promise<ContainerRecord | null> {
    const row = await this.db.get<ContainerRow>('SELECT * FROM containers WHERE id = ? OR name = ? LIMIT 1', [idOrName, idOrName]);
    return row ? toRecord(row) : null;
  }

  /** A container by server id or by name, or `NOT_FOUND`. */
  async require(idOrName: string): Promise<ContainerRecord> {
    const record = await this.find(idOrName);
    if (!record) throw new ServerError('NOT_FOUND', `no container with id or name "${idOrName}"`);
    return record;
  }

  /** How many containers each node holds (nodes with none are absent). */
  async countsByNode(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ node_id: string; n: number }>('SELECT node_id, COUNT(*) AS n FROM containers GROUP BY node_id');
    return new Map(rows.map((row) => [row.node_id, row.n]));
  }

  /** Every container, or those placed on `nodeId`. */
  async list(nodeId?: string): Promise<ContainerRecord[]> {
    const rows =
      nodeId === undefined
        ? await this.db.all<ContainerRow>('SELECT * FROM containers ORDER BY created_at, name')
        : await this.db.all<ContainerRow>('SELECT * FROM containers WHERE node_id = ? ORDER BY created_at, name', [nodeId]);
    return rows.map(toRecord);
  }

  /** Changes the given fields; returns the record, or null when it is gone. */
  async update(id: string, changes: Partial<Pick<ContainerRecord, 'nodeId' | 'desiredState' | 'dockerId' | 'observedState' | 'guardRailStop'>>): Promise<ContainerRecord | null> {
    const current = await this.get(id);
    if (!current) return null;
    const next = { ...current, ...changes, updatedAt: this.now() };
    const stop = next.guardRailStop === null ? null : JSON.stringify(next.guardRailStop);
    await this.db.run('UPDATE containers SET node_id = ?, desired_state = ?, docker_id = ?, observed_state = ?, guard_rail_stop = ?, updated_at = ? WHERE id = ?', [
      next.nodeId,
      next.desiredState,
      next.dockerId,
      next.observedState,
      stop,
      next.updatedAt,
      id,
    ]);
    this.changes.announce({ kind: 'container', action: 'updated', id, before: current, after: next });
    return next;
  }

  async remove(id: string): Promise<void> {
    const current = await this.get(id);
    await this.db.run('DELETE FROM containers WHERE id = ?', [id]);
    if (current) this.changes.announce({ kind: 'container', action: 'removed', id, before: current, after: null });
  }

  /** Forgets every container of a node, e.g. when the node is revoked. Returns how many. */
  async removeAllOf(nodeId: string): Promise<number> {
    const gone = await this.list(nodeId);
    const count = (await this.db.run('DELETE FROM containers WHERE node_id = ?', [nodeId])).changes;
    for (const record of gone) this.changes.announce({ kind: 'container', action: 'removed', id: record.id, before: record, after: null });
    return count;
  }
}
