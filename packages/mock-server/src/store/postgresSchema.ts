/**
 * The schema in PostgreSQL, for replicas that share their state: the sqlite schema's final
 * form (`schema.ts`), with times as BIGINT epoch milliseconds and a `seq` column where sqlite
 * orders by `rowid`. Versioned in `schema_version`; replicas that start together migrate one
 * at a time under an advisory lock.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE signing_keys (
    seq BIGSERIAL NOT NULL,
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_jwk TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE clusters (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    cluster_id TEXT REFERENCES clusters(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    token_id TEXT
  );
  CREATE UNIQUE INDEX nodes_live_name ON nodes(name) WHERE revoked_at IS NULL;
  CREATE TABLE containers (
    id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL REFERENCES nodes(id),
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,
    ha INTEGER NOT NULL,
    preferred_cluster_id TEXT REFERENCES clusters(id),
    fence_after_ms BIGINT,
    desired_state TEXT NOT NULL,
    docker_id TEXT,
    observed_state TEXT,
    guard_rail_stop TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX containers_node ON containers(node_id);
  CREATE TABLE migrations (
    seq BIGSERIAL NOT NULL,
    id TEXT PRIMARY KEY,
    container_id TEXT NOT NULL,
    container_name TEXT NOT NULL,
    trigger TEXT NOT NULL,
    source_node_id TEXT NOT NULL,
    target_node_id TEXT,
    status TEXT NOT NULL,
    error TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT
  );
  CREATE INDEX migrations_container ON migrations(container_id, started_at);
  CREATE TABLE migration_steps (
    migration_id TEXT NOT NULL REFERENCES migrations(id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (migration_id, seq)
  );
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    binding TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX sessions_expiry ON sessions(expires_at);
  `,
];
