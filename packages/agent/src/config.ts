import path from 'node:path';
import * as z from 'zod';
import { type GuardRails, guardRails } from './policy/guardRails.js';
import { LEGACY_UNCONFINED_SECURITY_OPTS } from './policy/securityOpts.js';
import { maskUserInfo, parseServerUrl } from './serverUrl.js';
import { TrustRootError, trustRoots } from './trustRoots.js';

/** A bad configuration value; `variable` names it. The process exits 2 with one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

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
 * This table is the single source for parsing, defaults and `--help`.
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
  NODE_TOKEN: { schema: z.string().trim().min(1, 'is required: the node JWT returned by POST /api/nodes'), doc: 'JWT node token (required)' },
  NODE_NAME: { schema: z.string().trim().min(1).max(128), default: 'agent-node', doc: 'name this node reports to the server' },
  LOG_LEVEL: { schema: z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be one of debug, info, warn, error' }), default: 'info', doc: 'debug, info, warn or error' },
  DOCKER_HOST: {
    schema: z.string().regex(/^(unix:\/\/\/.+|tcp:\/\/[^/]+)$/, 'must be unix:///path/to/docker.sock or tcp://host:port'),
    default: 'unix:///var/run/docker.sock',
    doc: 'Docker engine address',
  },
  CA_FILE: { schema: z.string().min(1), doc: "PEM file of CAs trusted for wss://, besides the runtime's bundled roots and NODE_EXTRA_CA_CERTS" },
  STATE_DIR: {
    schema: z.string().min(1),
    default: 'state',
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

/** Parses the agent's settings; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AgentConfig {
  const parsed = {} as Record<string, unknown>;
  for (const [name, variable] of Object.entries(VARIABLES) as [string, Variable][]) {
    const raw = env[name] === undefined || env[name] === '' ? variable.default : env[name];
    if (raw === undefined) {
      if (name === 'NODE_TOKEN') throw new ConfigError(name, 'is required: the node JWT returned by POST /api/nodes');
      continue;
    }
    const result = variable.schema.safeParse(raw);
    // Never echo NODE_TOKEN's value, nor a password in SERVER_URL; other values help the operator see the typo.
    const shown = name === 'NODE_TOKEN' ? '' : ` (got "${name === 'SERVER_URL' ? maskUserInfo(raw) : raw}")`;
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
  return {
    serverUrl: v.SERVER_URL,
    nodeToken: v.NODE_TOKEN!,
    nodeName: v.NODE_NAME,
    nodeId: tokenSubject(v.NODE_TOKEN!) ?? v.NODE_NAME,
    logLevel: v.LOG_LEVEL,
    dockerHost: v.DOCKER_HOST,
    tokenInQuery: v.TOKEN_IN_QUERY,
    ca,
    stateDir: path.resolve(v.STATE_DIR),
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

/** The `--help` text, generated from `VARIABLES`. */
export function helpText(): string {
  const rows = (Object.entries(VARIABLES) as [string, Variable][]).map(
    ([name, v]) => `  ${name.padEnd(32)}${v.doc}${v.default !== undefined && v.default !== '' ? ` (default: ${v.default})` : ''}`,
  );
  return [
    'Usage: lormas-agent [--help] [--version]',
    '',
    'Dials out to the Lormas server and lets it drive Docker on this node.',
    'Settings come from the environment and from .env in the working directory.',
    '',
    ...rows,
    '',
  ].join('\n');
}
