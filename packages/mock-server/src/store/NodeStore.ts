import type Database from 'better-sqlite3';
import { ServerError } from '../errors.js';
import { newId } from './ids.js';
import { insertUnique } from './insertUnique.js';
import { StoreChanges } from './StoreChanges.js';

export interface NodeRecord {
  id: string;
  name: string;
  description: string | null;
  clusterId: string | null;
  createdAt: number;
  /** When the node was revoked; its token stops working at once. */
  revokedAt: number | null;
  /** The id (`jti`) of the node's one valid token; `null` for a node registered before tokens could be replaced. */
  tokenId: string | null;
}

interface NodeRow {
  id: string;
  name: string;
  description: string | null;
  cluster_id: string | null;
  created_at: number;
  revoked_at: number | null;
  token_id: string | null;
}

const toRecord = (row: NodeRow): NodeRecord => ({
  id: row.id,
  name: row.name,
  description: row.description,
  clusterId: row.cluster_id,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  tokenId: row.token_id,
});

/** The node registry. Revoked nodes stay as rows so their tokens are known to be dead. */
export class NodeStore {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
    private readonly changes: StoreChanges = new StoreChanges(),
  ) {}

  /** Registers a node; a name held by another live node is a `CONFLICT`. */
  create(input: { name: string; description?: string | null; clusterId?: string | null; tokenId?: string | null }): NodeRecord {
    const record: NodeRecord = {
      id: newId('node'),
      name: input.name,
      description: input.description ?? null,
      clusterId: input.clusterId ?? null,
      createdAt: this.now(),
      revokedAt: null,
      tokenId: input.tokenId ?? null,
    };
    insertUnique(
      () =>
        this.db
          .prepare('INSERT INTO nodes (id, name, description, cluster_id, created_at, token_id) VALUES (?, ?, ?, ?, ?, ?)')
          .run(record.id, record.name, record.description, record.clusterId, record.createdAt, record.tokenId),
      `a node named "${input.name}" is registered already`,
    );
    this.changes.announce({ kind: 'node', action: 'registered', id: record.id });
    return record;
  }

  /** A node by id, revoked or not. */
  get(id: string): NodeRecord | null {
    const row = this.db.prepare('SELECT * FROM nodes WHERE id = ?').get(id) as NodeRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** A live (not revoked) node by id, or `NOT_FOUND`. */
  require(id: string): NodeRecord {
    const node = this.get(id);
    if (!node || node.revokedAt !== null) throw new ServerError('NOT_FOUND', `no node with id "${id}"`);
    return node;
  }

  /** Live nodes, oldest first. */
  list(): NodeRecord[] {
    return (this.db.prepare('SELECT * FROM nodes WHERE revoked_at IS NULL ORDER BY created_at, name').all() as NodeRow[]).map(toRecord);
  }

  update(id: string, changes: { description?: string | null; clusterId?: string | null }): NodeRecord {
    const node = this.require(id);
    const next = { ...node, ...changes };
    this.db.prepare('UPDATE nodes SET description = ?, cluster_id = ? WHERE id = ?').run(next.description, next.clusterId, id);
    this.changes.announce({ kind: 'node', action: 'updated', id });
    return next;
  }

  /** Makes `tokenId` the node's one valid token; every earlier token of the node stops working. */
  replaceToken(id: string, tokenId: string): NodeRecord {
    const node = this.require(id);
    this.db.prepare('UPDATE nodes SET token_id = ? WHERE id = ?').run(tokenId, id);
    return { ...node, tokenId };
  }

  /** Marks a node revoked; revoking twice keeps the first time. */
  revoke(id: string): NodeRecord {
    const node = this.require(id);
    const revokedAt = this.now();
    this.db.prepare('UPDATE nodes SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(revokedAt, id);
    this.changes.announce({ kind: 'node', action: 'revoked', id });
    return { ...node, revokedAt };
  }
}
