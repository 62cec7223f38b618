import path from 'node:path';
import * as z from 'zod';
import { ConfigError } from './configError.js';
import { type GuardRails, guardRails } from './policy/guardRails.js';
import { parseReleaseKey, type ReleaseKey } from '@lormas/protocol/release';
import { LEGACY_UNCONFINED_SECURITY_OPTS } from './policy/securityOpts.js';
import { maskUserInfo, parseServerUrl } from './serverUrl.js';
import { TrustRootError, trustRoots } from './trustRoots.js';
import { LOG_LEVELS } from './logger.js';
import { DEFAULT_LOG_LEVEL, DEFAULT_STATE_DIR, LOG_LEVEL_RULE } from './settings/loadLauncherSettings.js';

export { ConfigError } from './configError.js';

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
// Node fires a timer longer than 2^31 - 1 ms after 1 ms; a larger value would mean a busy loop.
const ms = (min: number) => z.coerce.number().int().min(min).max(2 ** 31 - 1);
const list = z
  .string()
  .transform((v) => v.split(/[,\s]+/).filter(Boolean));
/** Security options hold commas (`label=level:s0:c1,c2`), so only white space separates them. */
const spaceList = z
  .string()
  .transform((v) => v.split(/\s+/).filter(Boolean));
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

interface Variable {
  schema: z.ZodType;
  default?: string;
  doc: string;
}

/**
 * Every setting the agent reads, from the environment or `.env` in the working directory.
 * This table is the single source for parsing, defaults and `--help`; the launcher reads three
 * of them without zod (`loadLauncherSettings`), whose defaults and rules this table takes.
 */
export const VARIABLES = {
  SERVER_URL: {
    schema: z.string().transform((raw, ctx) => {
      const parsed = parseServerUrl(raw);
      if ('url' in parsed) return parsed.url;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }),
    default: 'ws://localhost:3000',
    doc: 'WebSocket URL of the Lormas server (ws:// or wss://; no user info, no fragment)',
  },
  TOKEN_IN_QUERY: {
    schema: bool,
    default: 'false',
    doc: "also send the token as the URL's token query parameter, for servers that read nothing else (proxies log query strings)",
  },
  NODE_TOKEN: { schema: z.string().trim().min(1), doc: 'JWT node token; without it the agent reads TOKEN_FILE, or joins with JOIN_CODE' },
  TOKEN_FILE: {
    schema: z.string().min(1),
    default: 'node-token',
    doc: "file of the node token (mode 0600, the agent's own), relative to STATE_DIR; the join exchange writes it",
  },
  JOIN_CODE: {
    schema: z.string().trim().regex(/^[A-Za-z0-9_-]{22,256}$/, 'must be a join code from POST /api/nodes/:id/join'),
    doc: "a single-use join code: with no token yet, the agent trades it for the node's token at start",
  },
  JOIN_TIMEOUT_MS: { schema: ms(1_000), default: '120000', doc: 'how long the join exchange retries a server that does not answer' },
  CONFIG_FILE: { schema: z.string().min(1), doc: 'root-owned settings file; guard rails and the release key are read from it alone' },
  RELEASE_KEY: {
    schema: z.string().transform((raw, ctx) => {
      try {
        return parseReleaseKey(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
    doc: "the operator's release key (Ed25519, base64 of 32 bytes), CONFIG_FILE only: builds it signs may be installed remotely; none, no remote upgrades",
  },
  ALLOW_DOWNGRADE: { schema: bool, default: 'false', doc: 'CONFIG_FILE only: accept a remote upgrade to an older build' },
  UPGRADE_DEADLINE_MS: {
    schema: ms(1_000),
    default: '20000',
    doc: 'a new build must be online (session accepted, engine reached) this long after the handover, or the launcher goes back',
  },
  MAX_UPGRADE_BYTES: { schema: ms(1024), default: String(256 * 1024 * 1024), doc: 'largest build a remote upgrade downloads' },
  NODE_NAME: { schema: z.string().trim().min(1).max(128), default: 'agent-node', doc: 'name this node reports to the server' },
  LOG_LEVEL: { schema: z.enum(LOG_LEVELS, { error: LOG_LEVEL_RULE }), default: DEFAULT_LOG_LEVEL, doc: 'debug, info, warn or error' },
  DOCKER_HOST: {
    schema: z.string().regex(/^(unix:\/\/\/.+|tcp:\/\/[^/]+)$/, 'must be unix:///path/to/docker.sock or tcp://host:port'),
    default: 'unix:///var/run/docker.sock',
    doc: 'Docker engine address',
  },
  CA_FILE: { schema: z.string().min(1), doc: "PEM file of CAs trusted for wss://, besides the runtime's bundled roots and NODE_EXTRA_CA_CERTS" },
  STATE_DIR: {
    schema: z.string().min(1),
    default: DEFAULT_STATE_DIR,
    doc: "the agent's own folder (mode 0700): the time of its last session, the volumes it adopted; relative to the working directory",
  },
  HEARTBEAT_INTERVAL_MS: { schema: ms(100), default: '5000', doc: 'milliseconds between heartbeats' },
  RECONNECT_BASE_DELAY_MS: { schema: ms(1), default: '500', doc: 'first reconnect delay ceiling; doubles each failure (full jitter)' },
  RECONNECT_MAX_DELAY_MS: { schema: ms(1), default: '30000', doc: 'cap of the reconnect delay' },
  RECONNECT_REFUSED_DELAY_MS: { schema: ms(1), default: '60000', doc: 'delay after the server refused the agent (bad token, revoked, version)' },
  PING_INTERVAL_MS: { schema: ms(100), default: '10000', doc: 'ping the server after this long without traffic' },
  PONG_TIMEOUT_MS: { schema: ms(100), default: '5000', doc: 'drop the connection when no pong arrives within this' },
  MAX_PAYLOAD_BYTES: { schema: ms(1024), default: String(16 * 1024 * 1024), doc: 'largest frame accepted from the server' },
  SHUTDOWN_TIMEOUT_MS: { schema: ms(0), default: '10000', doc: 'how long SIGTERM waits for operations in flight' },
  MAX_RUNNING_OPERATIONS: { schema: count(1, 100_000), default: '64', doc: 'commands run at once; more are refused with LIMIT_EXCEEDED' },
  MAX_WATCH_WAITERS: {
    schema: count(1, 100_000),
    default: '256',
    doc: 'operations.watch calls waiting for an operation that has not started; more are refused with LIMIT_EXCEEDED',
  },
  LOG_HIGH_WATER_MARK_BYTES: {
    schema: ms(1024),
    default: String(1024 * 1024),
    doc: 'log streams pause while more than this is sent and not yet read by the server; below it they keep what is queued ahead of a heartbeat to about 25 ms',
  },
  ALLOW_PRIVILEGED: { schema: bool, default: 'false', doc: 'allow privileged containers' },
  ALLOW_HOST_NETWORK: { schema: bool, default: 'false', doc: 'allow networkMode=host' },
  ALLOW_HOST_PID: { schema: bool, default: 'false', doc: 'allow pidMode=host' },
  ALLOW_HOST_IPC: { schema: bool, default: 'false', doc: 'allow ipcMode=host' },
  ALLOW_HOST_UTS: { schema: bool, default: 'false', doc: 'allow utsMode=host' },
  ALLOW_CONTAINER_NAMESPACES: { schema: bool, default: 'false', doc: "allow joining another container's namespaces (container:<id>)" },
  ALLOWED_CAPABILITIES: { schema: list, default: '', doc: 'comma-separated capabilities that capAdd may name' },
  ALLOW_DEVICES: { schema: bool, default: 'false', doc: 'allow host devices' },
  BIND_ALLOW_LIST: { schema: list, default: '', doc: 'comma-separated host path prefixes allowed as bind sources' },
  ALLOWED_SECURITY_OPTS: {
    schema: spaceList,
    default: '',
    doc: 'security options allowed besides no-new-privileges and apparmor=docker-default: exact spellings, separated by white space',
  },
  VOLUME_ALLOW_LIST: { schema: list, default: '', doc: 'comma-separated names of volumes this agent did not create that containers may mount' },
  ALLOW_UNCONFINED_SECURITY_OPT: {
    schema: bool,
    default: 'false',
    doc: 'deprecated: true stands for ALLOWED_SECURITY_OPTS of the seccomp/apparmor=unconfined and label=disable spellings',
  },
} satisfies Record<string, Variable>;

/** Which variable sets each guard-rail option, to name it when the option is refused. */
const RAIL_VARIABLES: Record<string, string> = {
  bindAllowList: 'BIND_ALLOW_LIST',
  allowedSecurityOpts: 'ALLOWED_SECURITY_OPTS',
  volumeAllowList: 'VOLUME_ALLOW_LIST',
};

type Vars = typeof VARIABLES;
type Parsed = { [K in keyof Vars]: Vars[K] extends { default: string } ? z.output<Vars[K]['schema']> : z.output<Vars[K]['schema']> | undefined };

export interface AgentConfig {
  serverUrl: string;
  nodeToken: string;
  /** The token file, absolute (TOKEN_FILE, resolved against STATE_DIR). */
  tokenFile: string;
  /** JOIN_CODE, when set. */
  joinCode: string | undefined;
  joinTimeoutMs: number;
  /** The root-owned settings file, when there is one. */
  configFile: string | undefined;
  /** Remote upgrades: the release key (none, none), downgrades, the handover deadline, the size cap. */
  upgrades: { releaseKey: ReleaseKey | null; allowDowngrade: boolean; deadlineMs: number; maxBytes: number };
  nodeName: string;
  /** The node id: the token's `sub` claim, or the node name for a token without one. */
  nodeId: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  dockerHost: string;
  /** Send the token as the `token` query parameter too (TOKEN_IN_QUERY). */
  tokenInQuery: boolean;
  /**
   * The CAs a `wss://` server is checked against when CA_FILE or NODE_EXTRA_CA_CERTS is set
   * (the bundled roots, then those files); `undefined` for the runtime's default store.
   */
  ca: string[] | undefined;
  /** The agent's state folder, absolute. */
  stateDir: string;
  /** Caps: commands running at once, and watches waiting for an operation to start. */
  limits: { maxRunningOperations: number; maxWatchWaiters: number };
  /** Settings that still work but should be changed, one line each, for the log at start. */
  warnings: string[];
  heartbeatIntervalMs: number;
  reconnect: { baseDelayMs: number; maxDelayMs: number; refusedDelayMs: number };
  keepAlive: { pingIntervalMs: number; pongTimeoutMs: number };
  maxPayloadBytes: number;
  shutdownTimeoutMs: number;
  logHighWaterMarkBytes: number;
  guardRails: GuardRails;
}

/** The `sub` claim of a JWT, read without verifying (the server verifies; the agent only labels with it). */
export function tokenSubject(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' && claims.sub ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

/** Settings whose values are secrets: a refusal never repeats them. */
const SECRET_VARIABLES = new Set(['NODE_TOKEN', 'JOIN_CODE']);

/** The settings without a token yet: `main` reads TOKEN_FILE or joins before the agent starts. */
export type AgentSettings = Omit<AgentConfig, 'nodeToken' | 'nodeId'> & { nodeToken: string | undefined };

/** The configuration with the node's token: the node id is its `sub` claim, or the node name for a token without one. */
export function withToken(settings: AgentSettings, token: string): AgentConfig {
  return { ...settings, nodeToken: token, nodeId: tokenSubject(token) ?? settings.nodeName };
}

/** Parses the agent's settings, token or not; throws `ConfigError` naming the first bad variable. */
export function loadSettings(env: Record<string, string | undefined>): AgentSettings {
  const parsed = {} as Record<string, unknown>;
  for (const [name, variable] of Object.entries(VARIABLES) as [string, Variable][]) {
    const raw = env[name] === undefined || env[name] === '' ? variable.default : env[name];
    if (raw === undefined) continue;
    const result = variable.schema.safeParse(raw);
    // Never echo a secret, nor a password in SERVER_URL; other values help the operator see the typo.
    const shown = SECRET_VARIABLES.has(name) || name === 'RELEASE_KEY' ? '' : ` (got "${name === 'SERVER_URL' ? maskUserInfo(raw) : raw}")`;
    if (!result.success) throw new ConfigError(name, `${result.error.issues[0]?.message ?? 'is invalid'}${shown}`);
    parsed[name] = result.data;
  }
  const v = parsed as Parsed;
  let ca: string[] | undefined;
  try {
    ca = trustRoots({ caFile: v.CA_FILE, extraCaFile: env['NODE_EXTRA_CA_CERTS'] || undefined });
  } catch (error) {
    if (error instanceof TrustRootError) throw new ConfigError(error.variable, error.message);
    throw error;
  }
  const warnings: string[] = [];
  if (v.ALLOW_UNCONFINED_SECURITY_OPT) {
    warnings.push(
      `ALLOW_UNCONFINED_SECURITY_OPT is deprecated and now stands for ALLOWED_SECURITY_OPTS="${LEGACY_UNCONFINED_SECURITY_OPTS.join(' ')}"; set that (or less) instead`,
    );
  }
  let rails: GuardRails;
  try {
    rails = guardRails({
      allowPrivileged: v.ALLOW_PRIVILEGED,
      allowHostNetwork: v.ALLOW_HOST_NETWORK,
      allowHostPid: v.ALLOW_HOST_PID,
      allowHostIpc: v.ALLOW_HOST_IPC,
      allowHostUts: v.ALLOW_HOST_UTS,
      allowContainerNamespaces: v.ALLOW_CONTAINER_NAMESPACES,
      allowedCapabilities: v.ALLOWED_CAPABILITIES,
      allowDevices: v.ALLOW_DEVICES,
      bindAllowList: v.BIND_ALLOW_LIST,
      allowedSecurityOpts: [...v.ALLOWED_SECURITY_OPTS, ...(v.ALLOW_UNCONFINED_SECURITY_OPT ? LEGACY_UNCONFINED_SECURITY_OPTS : [])],
      volumeAllowList: v.VOLUME_ALLOW_LIST,
    });
  } catch (error) {
    const [option, ...rest] = (error as Error).message.split(': ');
    throw new ConfigError(RAIL_VARIABLES[option ?? ''] ?? 'guard rails', rest.join(': '));
  }
  const stateDir = path.resolve(v.STATE_DIR);
  return {
    serverUrl: v.SERVER_URL,
    nodeToken: v.NODE_TOKEN,
    tokenFile: path.resolve(stateDir, v.TOKEN_FILE),
    joinCode: v.JOIN_CODE,
    joinTimeoutMs: v.JOIN_TIMEOUT_MS,
    configFile: v.CONFIG_FILE ? path.resolve(v.CONFIG_FILE) : undefined,
    upgrades: { releaseKey: v.RELEASE_KEY ?? null, allowDowngrade: v.ALLOW_DOWNGRADE, deadlineMs: v.UPGRADE_DEADLINE_MS, maxBytes: v.MAX_UPGRADE_BYTES },
    nodeName: v.NODE_NAME,
    logLevel: v.LOG_LEVEL,
    dockerHost: v.DOCKER_HOST,
    tokenInQuery: v.TOKEN_IN_QUERY,
    ca,
    stateDir,
    limits: { maxRunningOperations: v.MAX_RUNNING_OPERATIONS, maxWatchWaiters: v.MAX_WATCH_WAITERS },
    warnings,
    heartbeatIntervalMs: v.HEARTBEAT_INTERVAL_MS,
    reconnect: { baseDelayMs: v.RECONNECT_BASE_DELAY_MS, maxDelayMs: v.RECONNECT_MAX_DELAY_MS, refusedDelayMs: v.RECONNECT_REFUSED_DELAY_MS },
    keepAlive: { pingIntervalMs: v.PING_INTERVAL_MS, pongTimeoutMs: v.PONG_TIMEOUT_MS },
    maxPayloadBytes: v.MAX_PAYLOAD_BYTES,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    logHighWaterMarkBytes: v.LOG_HIGH_WATER_MARK_BYTES,
    guardRails: rails,
  };
}

/** Parses the agent's settings and requires a token; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AgentConfig {
  const settings = loadSettings(env);
  if (settings.nodeToken === undefined) throw new ConfigError('NODE_TOKEN', 'is required: the node JWT returned by POST /api/nodes');
  return withToken(settings, settings.nodeToken);
}

/** The `--help` text, generated from `VARIABLES`. */
export function helpText(): string {
  const rows = (Object.entries(VARIABLES) as [string, Variable][]).map(
    ([name, v]) => `  ${name.padEnd(32)}${v.doc}${v.default !== undefined && v.default !== '' ? ` (default: ${v.default})` : ''}`,
  );
  return [
    'Usage: lormas-agent [--help] [--version]   run the agent',
    '       lormas-agent join                   trade JOIN_CODE for the node token (TOKEN_FILE), then exit',
    '       lormas-agent launch                 run the current build under the launcher (remote upgrades)',
    '',
    'Dials out to the Lormas server and lets it drive Docker on this node.',
    'Settings come from CONFIG_FILE (root-owned), .env in the working directory and the environment.',
    '',
    ...rows,
    '',
  ].join('\n');
}
