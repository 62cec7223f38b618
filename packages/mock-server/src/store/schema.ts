/**
 * The database schema, versioned with `PRAGMA user_version`. The same schema serves an
 * in-memory database and a file; a file written by an older version is migrated forward.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_jwk TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE clusters (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    cluster_id TEXT REFERENCES clusters(id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  -- A revoked node's name may be registered again.
  CREATE UNIQUE INDEX nodes_live_name ON nodes(name) WHERE revoked_at IS NULL;
  CREATE TABLE containers (
    id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL REFERENCES nodes(id),
    -- Unique across the server, not only per node: a container keeps its name when it moves.
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,
    ha INTEGER NOT NULL,
    desired_state TEXT NOT NULL,
    docker_id TEXT,
    observed_state TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX containers_node ON containers(node_id);
  `,
  `
  -- Issue 6: failover may place a container in a cluster it names, and every move is recorded.
  ALTER TABLE containers ADD COLUMN preferred_cluster_id TEXT REFERENCES clusters(id);
  CREATE TABLE migrations (
    id TEXT PRIMARY KEY,
    container_id TEXT NOT NULL,
    container_name TEXT NOT NULL,
    trigger TEXT NOT NULL,
    source_node_id TEXT NOT NULL,
    target_node_id TEXT,
    status TEXT NOT NULL,
    error TEXT,
    started_at INTEGER NOT NULL,
    ended_at INTEGER
  );
  CREATE INDEX migrations_container ON migrations(container_id, started_at);
  CREATE TABLE migration_steps (
    migration_id TEXT NOT NULL REFERENCES migrations(id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (migration_id, seq)
  );
  `,
  `
  -- Agent-side fencing is a property of the container, not of one copy: every copy failover or
  -- a migration creates must carry it. NULL is off, so containers recorded before stay unfenced.
  ALTER TABLE containers ADD COLUMN fence_after_ms INTEGER;
  `,
  `
  -- Issue 14: dashboard sign-in sessions. Only a hash of the session id is kept, and a binding
  -- that holds only with the admin token the session was opened with, so a new token ends them all.
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    binding TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_expiry ON sessions(expires_at);
  `,
  `
  -- Issue 13: a node's token can be replaced; only the token with this id (its jti) is valid.
  -- NULL, for nodes registered before, accepts any token the server signed for the node.
  ALTER TABLE nodes ADD COLUMN token_id TEXT;
  -- A guard rail of the agent stopped the container: which rule, why, when (JSON), until it starts again.
  ALTER TABLE containers ADD COLUMN guard_rail_stop TEXT;
  `,
  `
  -- Single-use join codes. Only a hash of each code is kept; once used, the exchange
  -- id and the token it was answered with are kept until the code's expiry, so a retried
  -- exchange gets the same token, and are cleared after.
  CREATE TABLE join_codes (
    code_hash TEXT PRIMARY KEY,
    node_id TEXT NOT NULL REFERENCES nodes(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    exchange_id TEXT,
    token TEXT
  );
  CREATE INDEX join_codes_node ON join_codes(node_id);
  `,
];
