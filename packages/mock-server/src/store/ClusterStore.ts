import type Database from 'better-sqlite3';
import { newId } from './ids.js';
import { insertUnique } from './insertUnique.js';
import { ServerError } from '../errors.js';
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
    private readonly db: Database.Database,
    private readonly now: () => number,
    private readonly changes: StoreChanges = new StoreChanges(),
  ) {}

  /** Adds a cluster; a taken name is a `CONFLICT`. */
  create(input: { name: string; description?: string | null }): ClusterRecord {
    const record: ClusterRecord = { id: newId('cl'), name: input.name, description: input.description ?? null, createdAt: this.now() };
    insertUnique(
      () =>
        this.db.prepare('INSERT INTO clusters (id, name, description, created_at) VALUES (?, ?, ?, ?)').run(record.id, record.name, record.description, record.createdAt),
      `a cluster named "${input.name}" exists already`,
    );
    this.changes.announce({ kind: 'cluster', action: 'created', id: record.id });
    return record;
  }

  list(): ClusterRecord[] {
    return (this.db.prepare('SELECT * FROM clusters ORDER BY created_at, name').all() as ClusterRow[]).map(toRecord);
  }

  get(id: string): ClusterRecord | null {
    const row = this.db.prepare('SELECT * FROM clusters WHERE id = ?').get(id) as ClusterRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** A cluster by id or by name. */
  find(idOrName: string): ClusterRecord | null {
    const row = this.db.prepare('SELECT * FROM clusters WHERE id = ? OR name = ? LIMIT 1').get(idOrName, idOrName) as ClusterRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** A cluster by id or name, or `NOT_FOUND`. */
  require(idOrName: string): ClusterRecord {
    const cluster = this.find(idOrName);
    if (!cluster) throw new ServerError('NOT_FOUND', `no cluster with id or name "${idOrName}"`);
    return cluster;
  }

  /**
   * Renames a cluster or changes its description; a taken name is a `CONFLICT`. Nodes and
   * containers refer to the cluster by id, so they keep their membership and preference.
   */
  update(id: string, changes: { name?: string; description?: string | null }): ClusterRecord {
    const next = { ...this.require(id), ...changes };
    insertUnique(
      () => this.db.prepare('UPDATE clusters SET name = ?, description = ? WHERE id = ?').run(next.name, next.description, next.id),
      `a cluster named "${next.name}" exists already`,
    );
    this.changes.announce({ kind: 'cluster', action: 'updated', id: next.id });
    return next;
  }

  /**
   * Deletes a cluster in one transaction: its nodes stay registered, without a cluster, and
   * containers that preferred it keep running where they are, with no preferred cluster.
   */
  delete(id: string): { cluster: ClusterRecord; unassignedNodes: number; clearedPreferences: number } {
    const cluster = this.require(id);
    const result = this.db.transaction(() => {
      const unassignedNodes = this.db.prepare('UPDATE nodes SET cluster_id = NULL WHERE cluster_id = ?').run(cluster.id).changes;
      const clearedPreferences = this.db.prepare('UPDATE containers SET preferred_cluster_id = NULL WHERE preferred_cluster_id = ?').run(cluster.id).changes;
      this.db.prepare('DELETE FROM clusters WHERE id = ?').run(cluster.id);
      return { cluster, unassignedNodes, clearedPreferences };
    })();
    this.changes.announce({ kind: 'cluster', action: 'deleted', id: cluster.id });
    return result;
  }
}
