import { isDeepStrictEqual } from 'node:util';
import { ContainerEvent, ContainerSpec, CreateContainerInput } from '@lormas/protocol';
import { z } from 'zod';
import { idOf } from '../../src/store/ids.js';
import { MIGRATION_STATUSES, MIGRATION_TRIGGERS } from '../../src/store/MigrationStore.js';
import { Description, Name } from '../../src/http/fields.js';
import type Database from 'better-sqlite3';

type Row = Record<string, unknown>;

const epochMs = z.number().int().positive();

/**
 * Each table's rows as the API's own schemas allow them: what a request could have put
 * there. A stored value must be a fixed point of its schema (parsed, it comes back
 * unchanged), so a value stored before it was trimmed or defaulted is caught too.
 */
const ROWS = {
  clusters: z.strictObject({ id: idOf('cl'), name: Name, description: Description.nullable(), created_at: epochMs }),
  nodes: z.strictObject({
    id: idOf('node'),
    name: Name,
    description: Description.nullable(),
    cluster_id: idOf('cl').nullable(),
    created_at: epochMs,
    revoked_at: epochMs.nullable(),
    // The id (jti) of the node's one valid token: a UUID the server made.
    token_id: z.uuid().nullable(),
  }),
  containers: z.strictObject({
    id: idOf('ctr'),
    node_id: idOf('node'),
    name: ContainerSpec.shape.name,
    spec: z.string(),
    ha: z.union([z.literal(0), z.literal(1)]),
    desired_state: z.enum(['running', 'stopped']),
    docker_id: z.string().min(1).nullable(),
    observed_state: z.string().min(1).nullable(),
    created_at: epochMs,
    updated_at: epochMs,
    preferred_cluster_id: idOf('cl').nullable(),
    fence_after_ms: CreateContainerInput.shape.fenceAfterMs.unwrap().nullable(),
    guard_rail_stop: z.string().nullable(),
  }),
  migrations: z.strictObject({
    id: idOf('mig'),
    container_id: idOf('ctr'),
    container_name: ContainerSpec.shape.name,
    trigger: z.enum(MIGRATION_TRIGGERS),
    source_node_id: idOf('node'),
    target_node_id: idOf('node').nullable(),
    status: z.enum(MIGRATION_STATUSES),
    error: z.string().nullable(),
    started_at: epochMs,
    ended_at: epochMs.nullable(),
  }),
  migration_steps: z.strictObject({ migration_id: idOf('mig'), seq: z.number().int().min(0), name: z.string().min(1), status: z.enum(['ok', 'failed', 'info']), detail: z.string().nullable(), at: epochMs }),
} as const;

/**
 * Everything malformed in the mock server's database, read back row by row (a read-only
 * connection may read it while the server runs): a row its table's schema
 * refuses or changes, a container whose spec is not a `ContainerSpec` (or names another
 * container), and references to rows that do not exist. Empty when all is well.
 */
export function storeProblems(db: Database.Database): string[] {
  const problems: string[] = [];
  // One read transaction: a server writing meanwhile cannot make a reference look dangling.
  const rows = db.transaction(() => Object.fromEntries(Object.keys(ROWS).map((table) => [table, db.prepare(`SELECT * FROM ${table}`).all() as Row[]])))() as Record<keyof typeof ROWS, Row[]>;
  const ids = (table: keyof typeof ROWS) => new Set(rows[table].map((row) => row['id']));
  const report = (table: string, row: Row, what: string) => problems.push(`${table} ${String(row['id'] ?? row['migration_id'])}: ${what}`);
  for (const [table, schema] of Object.entries(ROWS) as [keyof typeof ROWS, z.ZodType][]) {
    for (const row of rows[table]) {
      const parsed = schema.safeParse(row);
      if (!parsed.success) report(table, row, z.prettifyError(parsed.error).slice(0, 300));
      else if (!isDeepStrictEqual(parsed.data, row)) report(table, row, 'stored as its schema would not keep it');
    }
  }
  const clusters = ids('clusters');
  const nodes = ids('nodes');
  for (const row of rows.nodes) if (row['cluster_id'] !== null && !clusters.has(row['cluster_id'])) report('nodes', row, 'names a cluster that does not exist');
  for (const row of rows.containers) {
    if (!nodes.has(row['node_id'])) report('containers', row, 'is on a node that does not exist');
    if (row['preferred_cluster_id'] !== null && !clusters.has(row['preferred_cluster_id'])) report('containers', row, 'prefers a cluster that does not exist');
    try {
      const spec: unknown = JSON.parse(String(row['spec']));
      const parsed = ContainerSpec.safeParse(spec);
      if (!parsed.success || !isDeepStrictEqual(parsed.data, spec)) report('containers', row, 'holds a spec that is not a ContainerSpec');
      else if (parsed.data.name !== row['name']) report('containers', row, `is named "${String(row['name'])}" but its spec names "${parsed.data.name}"`);
    } catch {
      report('containers', row, 'holds a spec that is not JSON');
    }
  }
  // What an agent reported when a guard rail stopped a container, within the contract's bounds (its time is the agent's); the server stores it as JSON.
  const GuardRailStop = z.strictObject({ ...ContainerEvent.shape.guardRail.unwrap().shape, at: ContainerEvent.shape.at });
  for (const row of rows.containers) {
    if (row['guard_rail_stop'] === null) continue;
    try {
      if (!GuardRailStop.safeParse(JSON.parse(String(row['guard_rail_stop']))).success) report('containers', row, 'holds a guard-rail stop that is not one');
    } catch {
      report('containers', row, 'holds a guard-rail stop that is not JSON');
    }
  }
  const migrations = ids('migrations');
  for (const row of rows.migration_steps) if (!migrations.has(row['migration_id'])) report('migration_steps', row, 'belongs to no migration');
  return problems;
}
