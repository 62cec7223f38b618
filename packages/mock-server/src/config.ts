import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { AgentVersion } from '@lormas/protocol';
import { z } from 'zod';
import { DEFAULT_REPLICA_TTL_MS } from '@lormas/protocol/cluster';
import { LOG_LEVELS, type LogLevel } from './logger.js';

/** A bad setting, named by `variable`. `main` prints the message as one line and exits 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
  }
}

/** The mock server's settings, from the environment and the command line. */
export interface MockServerConfig {
  /** @default 3000 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  adminToken: string;
  /** True when no ADMIN_TOKEN was set and one was made up; `main` prints it once. */
  adminTokenGenerated: boolean;
  /** Folder of the sqlite database; `null` keeps everything in memory. */
  dataDir: string | null;
  /** Lifetime of node tokens; `null` issues tokens without expiry. */
  tokenTtlSeconds: number | null;
  /** @default 'info' */
  logLevel: LogLevel;
  /** LOST_AFTER_MS: heartbeat silence after which a node is lost. @default 30_000 (milliseconds) */
  lostAfterMs: number;
  /** SUSPECT_AFTER_MS. @default a third of `lostAfterMs` (milliseconds) */
  suspectAfterMs: number;
  /** FAILOVER_GRACE_MS: no failover this long after the start. @default `lostAfterMs` (milliseconds) */
  failoverGraceMs: number;
  /** RELEASES_DIR: signed agent builds and the release key's public half; `null` offers none. */
  releasesDir: string | null;
  /** PUBLIC_URL: the origin installers reach the server at; `undefined` for the listening address. */
  publicUrl: string | undefined;
  /** JOIN_CODE_TTL: how long a join code stays valid. @default 900 (seconds) */
  joinCodeTtlSeconds: number;
  /** MIN_AGENT_VERSION: older agents are refused with 4426. @default null */
  minAgentVersion: string | null;
  /** DATABASE_URL: PostgreSQL shared by the replicas (`postgres://...`); null keeps sqlite. */
  databaseUrl: string | null;
  /** NATS_URL: the engine of cluster mode (`nats://host:port`); null runs one process. Needs DATABASE_URL. */
  natsUrl: string | null;
  /** REPLICA_ID: this replica's name in the cluster. @default random */
  replicaId: string | null;
  /** REPLICA_TTL_MS: a replica silent this long is dead; also the failover lease's TTL. @default 10_000 (milliseconds) */
  replicaTtlMs: number;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `3600`, `90s`, `15m`, `12h` or `30d`, as seconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNITS[match[2] || 's']!;
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : null;
}

/** Reads `--data-dir DIR` or `--data-dir=DIR`; anything else on the command line is refused. */
function dataDirArgument(argv: readonly string[]): string | undefined {
  let dataDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--data-dir') {
      const next = argv[++i];
      if (!next) throw new ConfigError('--data-dir', 'needs a folder: --data-dir DIR');
      dataDir = next;
    } else if (arg.startsWith('--data-dir=')) {
      dataDir = arg.slice('--data-dir='.length);
      if (!dataDir) throw new ConfigError('--data-dir', 'needs a folder: --data-dir=DIR');
    } else {
      throw new ConfigError(arg, 'is not an option of lormas-mock (only --data-dir DIR)');
    }
  }
  return dataDir;
}

const portSchema = z.coerce.number().int().min(0).max(65_535);

/**
 * Parses the settings; throws `ConfigError` naming the first bad one. `--data-dir` wins
 * over DATA_DIR. An empty variable counts as unset.
 */
export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): MockServerConfig {
  const value = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);

  const portText = value('PORT');
  const port = portText === undefined ? 3000 : portSchema.safeParse(portText);
  if (typeof port !== 'number' && !port.success) throw new ConfigError('PORT', `must be a port number 0-65535 (got "${portText}")`);

  const host = value('HOST') ?? '127.0.0.1';

  const given = value('ADMIN_TOKEN');
  // Never echo the value: it is a secret even when it is too short.
  if (given !== undefined && given.length < 16) throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters');
  const adminToken = given ?? randomBytes(24).toString('base64url');

  const dataDirText = dataDirArgument(argv) ?? value('DATA_DIR');

  const ttlText = value('TOKEN_TTL');
  const tokenTtlSeconds = ttlText === undefined ? null : parseDuration(ttlText);
  if (ttlText !== undefined && tokenTtlSeconds === null) {
    throw new ConfigError('TOKEN_TTL', `must be a positive duration such as 3600, 15m, 12h or 30d (got "${ttlText}")`);
  }

  const levelText = value('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(levelText as LogLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${levelText}")`);

  const millis = (name: string, fallback: number, min: number) => {
    const text = value(name);
    if (text === undefined) return fallback;
    const parsed = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(parsed) || parsed < min) throw new ConfigError(name, `must be a whole number of milliseconds >= ${min} (got "${text}")`);
    return parsed;
  };
  const lostAfterMs = millis('LOST_AFTER_MS', 30_000, 100);
  const suspectAfterMs = millis('SUSPECT_AFTER_MS', Math.round(lostAfterMs / 3), 1);
  if (suspectAfterMs >= lostAfterMs) throw new ConfigError('SUSPECT_AFTER_MS', `must be below LOST_AFTER_MS (${lostAfterMs})`);
  const failoverGraceMs = millis('FAILOVER_GRACE_MS', lostAfterMs, 0);

  const releasesText = value('RELEASES_DIR');
  const publicUrl = value('PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^/?#\s]+\/?$/.test(publicUrl)) throw new ConfigError('PUBLIC_URL', `must be an http:// or https:// origin without a path (got "${publicUrl}")`);
  const joinTtlText = value('JOIN_CODE_TTL');
  const joinCodeTtlSeconds = joinTtlText === undefined ? 900 : parseDuration(joinTtlText);
  if (joinCodeTtlSeconds === null || joinCodeTtlSeconds < 60) throw new ConfigError('JOIN_CODE_TTL', `must be a duration of at least 60 seconds, such as 900, 15m or 1h (got "${joinTtlText}")`);
  const minAgentVersion = value('MIN_AGENT_VERSION') ?? null;
  if (minAgentVersion !== null && !AgentVersion.safeParse(minAgentVersion).success) {
    throw new ConfigError('MIN_AGENT_VERSION', `must be an agent version such as 0.2.0, without leading zeros (got "${minAgentVersion}")`);
  }

  const url = (name: string, schemes: string[]) => {
    const text = value(name);
    if (text === undefined) return null;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      // Never echo it: a database URL may hold a password.
      throw new ConfigError(name, `must be a URL (${schemes.join(' or ')})`);
    }
    if (!schemes.includes(parsed.protocol)) throw new ConfigError(name, `must start with ${schemes.join(' or ')}`);
    return text;
  };
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const natsUrl = url('NATS_URL', ['nats:']);
  // Replicas that each kept their own sqlite file would each have a state of their own.
  if (natsUrl !== null && databaseUrl === null) throw new ConfigError('NATS_URL', 'needs DATABASE_URL: the replicas of a cluster share their state in PostgreSQL');
  const replicaTtlMs = millis('REPLICA_TTL_MS', DEFAULT_REPLICA_TTL_MS, 100);
  const replicaId = value('REPLICA_ID') ?? null;
  if (replicaId !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(replicaId)) throw new ConfigError('REPLICA_ID', `must be 1 to 64 letters, digits, "_" or "-" (got "${replicaId}")`);

  return {
    releasesDir: releasesText === undefined ? null : resolve(releasesText),
    publicUrl,
    joinCodeTtlSeconds,
    minAgentVersion,
    databaseUrl,
    natsUrl,
    replicaId,
    replicaTtlMs,
    lostAfterMs,
    suspectAfterMs,
    failoverGraceMs,
    port: typeof port === 'number' ? port : port.data,
    host,
    adminToken,
    adminTokenGenerated: given === undefined,
    dataDir: dataDirText === undefined ? null : resolve(dataDirText),
    tokenTtlSeconds,
    logLevel: levelText as LogLevel,
  };
}
