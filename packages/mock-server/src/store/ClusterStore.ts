import { newId } from './ids.js';
import { insertUnique } from './insertUnique.js';
import { ServerError } from '../errors.js';
import type { SqlDatabase } from './SqlDatabase.js';
import { StoreChanges } from './StoreChanges.js';

export interface ClusterRecord {
  id: string;
  name: string;
  description: string | null;
  createdAt: number;
}

interface ClusterRow {
  id: string;
  name: string;
  description: string | null;
  created_at: number;
}

const toRecord = (row: ClusterRow): ClusterRecord => ({ id: row.id, name: row.name, description: row.description, createdAt: row.created_at });

/** Named groups of nodes; failover looks for a target in the lost node's cluster first. */
export class ClusterStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
    private readonly changes: StoreChanges = new StoreChanges(),
  ) {}

  /** Adds a cluster; a taken name is a `CONFLICT`. */
  async create(input: { name: string; description?: string | null }): Promise<ClusterRecord> {
    const record: ClusterRecord = { id: newId('cl'), name: input.name, description: input.description ?? null, createdAt: this.now() };
    await insertUnique(
      () => this.db.run('INSERT INTO clusters (id, name, description, created_at) VALUES (?, ?, ?, ?)', [record.id, record.name, record.description, record.createdAt]),
      `a cluster named "${input.name}" exists already`,
    );
    this.changes.announce({ kind: 'cluster', action: 'created', id: record.id });
    return record;
  }

  async list(): Promise<ClusterRecord[]> {
    return (await this.db.all<ClusterRow>('SELECT * FROM clusters ORDER BY created_at, name')).map(toRecord);
  }

  async get(id: string): Promise<ClusterRecord | null> {
    const row = await this.db.get<ClusterRow>('SELECT * FROM clusters WHERE id = ?', [id]);
    return row ? toRecord(row) : null;
  }

  /** A cluster by id or by name. */
  async find(idOrName: string): Promise<ClusterRecord | null> {
    const row = await this.db.get<ClusterRow>('SELECT * FROM clusters WHERE id = ? OR name = ? LIMIT 1', [idOrName, idOrName]);
    return row ? toRecord(row) : null;
  }

  /** A cluster by id or name, or `NOT_FOUND`. */
  async require(idOrName: string): Promise<ClusterRecord> {
    const cluster = await this.find(idOrName);
    if (!cluster) throw new ServerError('NOT_FOUND', `no cluster with id or name "${idOrName}"`);
    return cluster;
  }

  /**
   * Renames a cluster or changes its description; a taken name is a `CONFLICT`. Nodes and
   * containers refer to the cluster by id, so they keep their membership and preference.
   */
  async update(id: string, changes: { name?: string; description?: string | null }): Promise<ClusterRecord> {
    const next = { ...(await this.require(id)), ...changes };
    await insertUnique(
      () => this.db.run('UPDATE clusters SET name = ?, description = ? WHERE id = ?', [next.name, next.description, next.id]),
      `a cluster named "${next.name}" exists already`,
    );
    this.changes.announce({ kind: 'cluster', action: 'updated', id: next.id });
    return next;
  }

  /**
   * Deletes a cluster in one transaction: its nodes stay registered, without a cluster, and
   * containers that preferred it keep running where they are, with no preferred cluster.
   */
  async delete(id: string): Promise<{ cluster: ClusterRecord; unassignedNodes: number; clearedPreferences: number }> {
    const cluster = await this.require(id);
    const [nodes, preferences] = await this.db.batch([
      { sql: 'UPDATE nodes SET cluster_id = NULL WHERE cluster_id = ?', params: [cluster.id] },
      { sql: 'UPDATE containers SET preferred_cluster_id = NULL WHERE preferred_cluster_id = ?', params: [cluster.id] },
      { sql: 'DELETE FROM clusters WHERE id = ?', params: [cluster.id] },
    ]);
    const result = { cluster, unassignedNodes: nodes!.changes, clearedPreferences: preferences!.changes };
    this.changes.announce({ kind: 'cluster', action: 'deleted', id: cluster.id });
    return result;
  }
}
