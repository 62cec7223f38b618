import type Database from 'better-sqlite3';
import { newId } from './ids.js';
import { StoreChanges } from './StoreChanges.js';

/** Why a container moved: its node was lost, or an operator asked. */
export type MigrationTrigger = 'node-lost' | 'manual';

/**
 * `running` until it ends; `succeeded`; `rolled-back` (a planned move failed and the source
 * copy runs again); `failed` (nothing could be restored); `cancelled` (a failover whose lost
 * node came back before a target took the container).
 */
export type MigrationStatus = 'running' | 'succeeded' | 'rolled-back' | 'failed' | 'cancelled';

export interface MigrationStep {
  /** `choose-target`, `stop-source`, `create-target`, `copy-volume`, `start-target`, `remove-source`, `rollback`... */
  name: string;
  status: 'ok' | 'failed' | 'info';
  detail: string | null;
  /** Epoch milliseconds. */
  at: number;
}

export interface MigrationRecord {
  id: string;
  containerId: string;
  containerName: string;
  trigger: MigrationTrigger;
  sourceNodeId: string;
  /** Null while failover has found no target yet. */
  targetNodeId: string | null;
  status: MigrationStatus;
  /** Code and message of the failure that ended it, when it did not succeed. */
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  steps: MigrationStep[];
}

interface MigrationRow {
  id: string;
  container_id: string;
  container_name: string;
  trigger: MigrationTrigger;
  source_node_id: string;
  target_node_id: string | null;
  status: MigrationStatus;
  error: string | null;
  started_at: number;
  ended_at: number | null;
}

/** The migration history: one row per move, with its steps in order. */
export class MigrationStore {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
    private readonly changes: StoreChanges = new StoreChanges(),
  ) {}

  start(input: { containerId: string; containerName: string; trigger: MigrationTrigger; sourceNodeId: string; targetNodeId: string | null }): MigrationRecord {
    const id = newId('mig');
    this.db
      .prepare('INSERT INTO migrations (id, container_id, container_name, trigger, source_node_id, target_node_id, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, input.containerId, input.containerName, input.trigger, input.sourceNodeId, input.targetNodeId, 'running', this.now());
    this.changes.announce({ kind: 'migration', action: 'started', id });
    return this.get(id)!;
  }

  /** Appends a step stamped with the store's clock and returns it. */
  step(id: string, name: string, status: MigrationStep['status'], detail: string | null = null): MigrationStep {
    const step: MigrationStep = { name, status, detail, at: this.now() };
    this.db
      .prepare('INSERT INTO migration_steps (migration_id, seq, name, status, detail, at) VALUES (?, (SELECT COUNT(*) FROM migration_steps WHERE migration_id = ?), ?, ?, ?, ?)')
      .run(id, id, name, status, detail, step.at);
    this.changes.announce({ kind: 'migration', action: 'updated', id });
    return step;
  }

  setTarget(id: string, targetNodeId: string): void {
    this.db.prepare('UPDATE migrations SET target_node_id = ? WHERE id = ?').run(targetNodeId, id);
    this.changes.announce({ kind: 'migration', action: 'updated', id });
  }

  finish(id: string, status: Exclude<MigrationStatus, 'running'>, error: string | null = null): MigrationRecord {
    this.db.prepare('UPDATE migrations SET status = ?, error = ?, ended_at = ? WHERE id = ?').run(status, error, this.now(), id);
    this.changes.announce({ kind: 'migration', action: 'finished', id });
    return this.get(id)!;
  }

  get(id: string): MigrationRecord | null {
    const row = this.db.prepare('SELECT * FROM migrations WHERE id = ?').get(id) as MigrationRow | undefined;
    return row ? this.toRecord(row) : null;
  }

  /** Every migration, or those of one container, oldest first. */
  list(containerId?: string): MigrationRecord[] {
    const rows = containerId === undefined
      ? this.db.prepare('SELECT * FROM migrations ORDER BY started_at, rowid').all()
      : this.db.prepare('SELECT * FROM migrations WHERE container_id = ? ORDER BY started_at, rowid').all(containerId);
    return (rows as MigrationRow[]).map((row) => this.toRecord(row));
  }

  private toRecord(row: MigrationRow): MigrationRecord {
    const steps = this.db.prepare('SELECT name, status, detail, at FROM migration_steps WHERE migration_id = ? ORDER BY seq').all(row.id) as MigrationStep[];
    return {
      id: row.id,
      containerId: row.container_id,
      containerName: row.container_name,
      trigger: row.trigger,
      sourceNodeId: row.source_node_id,
      targetNodeId: row.target_node_id,
      status: row.status,
      error: row.error,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      steps,
    };
  }
}
