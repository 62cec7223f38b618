import { newId } from './ids.js';
import type { SqlDatabase } from './SqlDatabase.js';
import { StoreChanges } from './StoreChanges.js';

/** Why a container moved: its node was lost, or an operator asked. */
export const MIGRATION_TRIGGERS = ['node-lost', 'manual'] as const;
export type MigrationTrigger = (typeof MIGRATION_TRIGGERS)[number];

/**
 * `running` until it ends; `succeeded`; `rolled-back` (a planned move failed and the source
 * copy runs again); `failed` (nothing could be restored); `cancelled` (a failover whose lost
 * node came back before a target took the container).
 */
export const MIGRATION_STATUSES = ['running', 'succeeded', 'rolled-back', 'failed', 'cancelled'] as const;
export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

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
    private readonly db: SqlDatabase,
    private readonly now: () => number,
    private readonly changes: StoreChanges = new StoreChanges(),
  ) {}

  async start(input: { containerId: string; containerName: string; trigger: MigrationTrigger; sourceNodeId: string; targetNodeId: string | null }): Promise<MigrationRecord> {
    const id = newId('mig');
    await this.db.run('INSERT INTO migrations (id, container_id, container_name, trigger, source_node_id, target_node_id, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      input.containerId,
      input.containerName,
      input.trigger,
      input.sourceNodeId,
      input.targetNodeId,
      'running',
      this.now(),
    ]);
    this.changes.announce({ kind: 'migration', action: 'started', id });
    return (await this.get(id))!;
  }

  /**
   * Appends a step stamped with the store's clock and returns it. Its number is unique among
   * its migration's whatever the writers: PostgreSQL draws it from a sequence (the column's
   * default), as replicas append to one migration at once; sqlite takes one writer at a
   * time, so the number after the migration's highest, read in the same statement, is never
   * drawn twice.
   */
  async step(id: string, name: string, status: MigrationStep['status'], detail: string | null = null): Promise<MigrationStep> {
    const step: MigrationStep = { name, status, detail, at: this.now() };
    if (this.db.dialect === 'postgres') await this.db.run('INSERT INTO migration_steps (migration_id, name, status, detail, at) VALUES (?, ?, ?, ?, ?)', [id, name, status, detail, step.at]);
    else {
      await this.db.run('INSERT INTO migration_steps (migration_id, seq, name, status, detail, at) SELECT ?, COALESCE(MAX(seq), -1) + 1, ?, ?, ?, ? FROM migration_steps WHERE migration_id = ?', [
        id,
        name,
        status,
        detail,
        step.at,
        id,
      ]);
    }
    this.changes.announce({ kind: 'migration', action: 'updated', id });
    return step;
  }

  async setTarget(id: string, targetNodeId: string): Promise<void> {
    await this.db.run('UPDATE migrations SET target_node_id = ? WHERE id = ?', [targetNodeId, id]);
    this.changes.announce({ kind: 'migration', action: 'updated', id });
  }

  async finish(id: string, status: Exclude<MigrationStatus, 'running'>, error: string | null = null): Promise<MigrationRecord> {
    // Only a running migration ends: a leader taking over must not turn another's `succeeded` into `cancelled`.
    await this.db.run("UPDATE migrations SET status = ?, error = ?, ended_at = ? WHERE id = ? AND status = 'running'", [status, error, this.now(), id]);
    this.changes.announce({ kind: 'migration', action: 'finished', id });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<MigrationRecord | null> {
    const row = await this.db.get<MigrationRow>('SELECT * FROM migrations WHERE id = ?', [id]);
    return row ? this.toRecord(row) : null;
  }

  /** Failovers still running: a new failover leader takes them over from the one before it. */
  async running(trigger: MigrationTrigger): Promise<MigrationRecord[]> {
    const rows = await this.db.all<MigrationRow>(`SELECT * FROM migrations WHERE status = 'running' AND trigger = ? ORDER BY started_at, ${this.order}`, [trigger]);
    return Promise.all(rows.map((row) => this.toRecord(row)));
  }

  /** Every migration, or those of one container, oldest first. */
  async list(containerId?: string): Promise<MigrationRecord[]> {
    const rows =
      containerId === undefined
        ? await this.db.all<MigrationRow>(`SELECT * FROM migrations ORDER BY started_at, ${this.order}`)
        : await this.db.all<MigrationRow>(`SELECT * FROM migrations WHERE container_id = ? ORDER BY started_at, ${this.order}`, [containerId]);
    return Promise.all(rows.map((row) => this.toRecord(row)));
  }

  /** Insertion order where start times tie: sqlite's rowid, PostgreSQL's `seq`. */
  private get order(): string {
    return this.db.dialect === 'sqlite' ? 'rowid' : 'seq';
  }

  private async toRecord(row: MigrationRow): Promise<MigrationRecord> {
    const steps = await this.db.all<MigrationStep>('SELECT name, status, detail, at FROM migration_steps WHERE migration_id = ? ORDER BY seq', [row.id]);
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
