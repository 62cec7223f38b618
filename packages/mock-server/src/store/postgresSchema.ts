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
  `
  -- Single-use join codes: a hash of each code, and the token answered to its exchange until the code's expiry.
  CREATE TABLE join_codes (
    code_hash TEXT PRIMARY KEY,
    node_id TEXT NOT NULL REFERENCES nodes(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    exchange_id TEXT,
    token TEXT
  );
  CREATE INDEX join_codes_node ON join_codes(node_id);
  `,
  `
  -- A migration's steps are numbered from one sequence: numbered by counting the steps already
  -- there, two replicas appending to one migration at once (a new failover leader adopting a
  -- move while the old one finishes it) drew the same number and one write failed on the key.
  -- The sequence starts above every number in use, so steps written before keep their order.
  CREATE SEQUENCE migration_steps_seq AS BIGINT;
  SELECT setval('migration_steps_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM migration_steps), false);
  ALTER TABLE migration_steps ALTER COLUMN seq TYPE BIGINT;
  ALTER TABLE migration_steps ALTER COLUMN seq SET DEFAULT nextval('migration_steps_seq');
  ALTER SEQUENCE migration_steps_seq OWNED BY migration_steps.seq;
  `,
];
