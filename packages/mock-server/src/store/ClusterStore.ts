import type Database from 'better-sqlite3';
import { newId } from './ids.js';
import { insertUnique } from './insertUnique.js';

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
  ) {}

  /** Adds a cluster; a taken name is a `CONFLICT`. */
  create(input: { name: string; description?: string | null }): ClusterRecord {
    const record: ClusterRecord = { id: newId('cl'), name: input.name, description: input.description ?? null, createdAt: this.now() };
    insertUnique(
      () =>
        this.db.prepare('INSERT INTO clusters (id, name, description, created_at) VALUES (?, ?, ?, ?)').run(record.id, record.name, record.description, record.createdAt),
      `a cluster named "${input.name}" exists already`,
    );
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
}
