import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { KeepAliveOptions } from '@lormas/protocol/server';
import { AgentGateway } from './agents/AgentGateway.js';
import { loadSigningKey } from './auth/signingKey.js';
import { ContainerService } from './containers/ContainerService.js';
import { FailoverController } from './failover/FailoverController.js';
import { MigrationRunner } from './migrations/MigrationRunner.js';
import { apiRouter, createApi } from './http/createApi.js';
import { createHttpServer } from './http/createHttpServer.js';
import { type HttpLimits, httpLimits } from './http/HttpLimits.js';
import { STREAMED_EVENTS } from './http/viewSchemas.js';
import type { RouteInfo } from './http/Router.js';
import { createRequestAuthenticator } from './auth/authenticateRequest.js';
import { Sessions } from './auth/Sessions.js';
import { SignInLimiter } from './auth/SignInLimiter.js';
import { serveDashboard } from './dashboard/serveDashboard.js';
import { LiveEvents, liveEventWeight } from './live/LiveEvents.js';
import { SharedLogStreams } from './logs/SharedLogStreams.js';
import { type Logger, silentLogger } from './logger.js';
import { Store } from './store/Store.js';
import { ReleaseCatalog } from './releases/ReleaseCatalog.js';
import { RolloutRunner } from './rollouts/RolloutRunner.js';
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterEventLog } from './cluster/ClusterEventLog.js';
import type { ClusterLiveness } from './cluster/ClusterLiveness.js';
import { FailoverLeadership } from './cluster/FailoverLeadership.js';

/** Every HTTP limit is an option too (see `HttpLimits` for each default). */
export interface MockServerOptions extends Partial<HttpLimits> {
  /** @default 0 (an ephemeral port; read it from the result) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The admin bearer token; a random one when absent (read it from the result). */
  adminToken?: string;
  /** Folder of the sqlite database; `null` keeps everything in memory. @default null */
  dataDir?: string | null;
  /** Lifetime of issued node tokens in seconds; `null` issues tokens without expiry. @default null */
  tokenTtlSeconds?: number | null;
  /** @default a logger that drops everything */
  logger?: Logger;
  /** The clock of token times and liveness, epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Deadline of ordinary agent calls. @default 30_000 (milliseconds) */
  callTimeoutMs?: number;
  /** Deadline of agent calls that may pull an image. @default 300_000 (milliseconds) */
  longCallTimeoutMs?: number;
  /** @default 10_000 (milliseconds) */
  helloTimeoutMs?: number;
  keepAlive?: KeepAliveOptions;
  /** Heartbeat silence after which a node is lost and its HA containers move. @default 30_000 (milliseconds) */
  lostAfterMs?: number;
  /** Heartbeat silence after which a node is suspect. @default a third of `lostAfterMs` (milliseconds) */
  suspectAfterMs?: number;
  /** No failover this long after the start. @default `lostAfterMs` (milliseconds) */
  failoverGraceMs?: number;
  /** How often failover judges the nodes. @default a tenth of `lostAfterMs`, 50..1_000 (milliseconds) */
  failoverCheckIntervalMs?: number;
  /** First retry delay of a failover that found no target; doubles up to `failoverRetryMaxMs`. @default 1_000 (milliseconds) */
  failoverRetryBaseMs?: number;
  /** @default 30_000 (milliseconds) */
  failoverRetryMaxMs?: number;
  /** Folder of the built dashboard; `null` serves none. @default this package's `dashboard/dist` */
  dashboardDir?: string | null;
  /** How long a dashboard session lasts from sign-in. @default 43_200_000 (12 hours, milliseconds) */
  sessionTtlMs?: number;
  /** Failed sign-ins one address may make per `signInWindowMs`. @default 5 (attempts) */
  signInMaxFailures?: number;
  /** @default 60_000 (milliseconds) */
  signInWindowMs?: number;
  /** Live events a reconnecting `/api/events` reader can resume from; a `heartbeats` batch counts one per node. @default 1_000 (events) */
  eventReplayEvents?: number;
  /** Heartbeats go out on `/api/events` in batches this often, each node once with its newest figures. @default 1_000 (milliseconds) */
  heartbeatEventIntervalMs?: number;
  /** A `heartbeats` event holds at most this many nodes. @default 100 (nodes) */
  heartbeatBatchNodes?: number;
  /**
   * An `/api/events` reader this far behind is cut off with `SLOW_READER`. At 10,000 nodes the
   * stream carries about 1 MB a second, most of it in one `heartbeats` burst a second: 8 MiB
   * lets a reader fall several seconds behind (a busy or backgrounded tab) before it is cut off.
   * @default 8 MiB (bytes)
   */
  eventsMaxBufferedBytes?: number;
  /** A comment goes to a quiet `/api/events` reader this often. @default 15_000 (milliseconds) */
  eventsKeepAliveMs?: number;
  /**
   * `/api/events` output is gathered and sent as one write at most this often: at thousands of
   * nodes a write per event held a fifth of the server's profile. 0 writes at the end of each tick.
   * @default 25 (milliseconds)
   */
  eventsFlushIntervalMs?: number;
  /** A burst of live events is made in slices of at most this long, heartbeats read in between. @default 5 (milliseconds) */
  eventSliceMs?: number;
  /** CPU and memory samples kept per node for sparklines. @default 120 (samples) */
  samplesPerNode?: number;
  /** At most one sample per node this often. @default 5_000 (milliseconds) */
  sampleIntervalMs?: number;
  /** Lines a shared log stream keeps for viewers who join later. @default 1_000 (lines) */
  sharedLogTailLines?: number;
  /** The folder of signed agent builds and `release-key.pub` (`pnpm release sign` writes it); `null` offers none. @default null */
  releasesDir?: string | null;
  /** The origin installers and agents reach this server at, for the one-line install. @default the address it listens on */
  publicUrl?: string;
  /** How long a join code stays valid. @default 900_000 (15 minutes, milliseconds) */
  joinCodeTtlMs?: number;
  /** Failed join attempts one address may make per `joinWindowMs`. @default 10 (attempts) */
  joinMaxFailures?: number;
  /** @default 60_000 (milliseconds) */
  joinWindowMs?: number;
  /** The oldest agent version served; older agents are refused with 4426. @default null (any) */
  minAgentVersion?: string | null;
  /** How long past its own handover deadline a node in a rollout has to be back. @default 30_000 (milliseconds) */
  rolloutBackWithinMs?: number;
  /** PostgreSQL (`postgres://...`) for state shared by replicas, instead of sqlite; wins over `dataDir`. @default null */
  databaseUrl?: string | null;
  /**
   * Run as one replica of a cluster: agents dial any replica, calls reach each node through
   * the replica holding it, one replica judges failover, events reach every replica. Needs
   * `databaseUrl`, the state the replicas share. @default null (one process)
   */
  cluster?: ClusterOptions | null;
}

export interface ClusterOptions {
  /** The engine: NATS with JetStream, `nats://host:port`. */
  natsUrl: string;
  /** This replica's name in the cluster. @default random */
  replicaId?: string;
  /** Prefix of the cluster's buckets, streams and subjects. @default 'lormas' */
  subjectPrefix?: string;
  /** A replica silent this long is dead; also the failover lease's TTL. @default 10_000 (milliseconds) */
  replicaTtlMs?: number;
}

/** The install script the one-line install pipes to `sh`. */
export const INSTALL_SCRIPT = fileURLToPath(new URL('../install/install.sh', import.meta.url));

/** Where `pnpm build` writes the dashboard. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/dist', import.meta.url));

export interface MockServer {
  /** `http://host:port`; agents dial the same address as `ws://host:port`. */
  url: string;
  port: number;
  adminToken: string;
  store: Store;
  gateway: AgentGateway;
  failover: FailoverController;
  /** The HTTP API's route table: method, pattern, and the schemas of each route's body and query. */
  routes: readonly RouteInfo[];
  /** The live event stream of `GET /api/events` and the sparkline samples. */
  live: LiveEvents;
  /** In cluster mode, this replica's name and whether it judges failover now; null in one process. */
  replica: { id: string; isLeader(): boolean; leader(): string | null } | null;
  /** Closes agent sockets (agents will dial again), the HTTP server and the database. */
  close(): Promise<void>;
}

/**
 * Starts the mock server: the HTTP API and, on the same port and any path, the WebSocket
 * endpoint agents dial.
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url');
  const limits = httpLimits(options);
  if (options.cluster && !options.databaseUrl) throw new TypeError('startMockServer: cluster mode needs databaseUrl: the replicas share their state in PostgreSQL');
  const store = options.databaseUrl ? await Store.connect({ databaseUrl: options.databaseUrl, now }) : new Store({ dataDir: options.dataDir ?? null, now });
  let nats: NatsConnection | null = null;
  try {
    const key = await loadSigningKey(store.keys);
    const cluster = options.cluster ?? null;
    // The engine may restart: the client dials it again for as long as the replica runs.
    if (cluster) nats = await connect({ servers: cluster.natsUrl, name: cluster.replicaId, maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 2_000, maxPingOut: 2 });
    const prefix = cluster?.subjectPrefix ?? 'lormas';
    const gateway = await AgentGateway.start({
      cluster: cluster && nats ? { nats, replicaId: cluster.replicaId, subjectPrefix: prefix, replicaTtlMs: cluster.replicaTtlMs } : null,
      store,
      key,
      logger,
      now,
      callTimeoutMs: options.callTimeoutMs,
      helloTimeoutMs: options.helloTimeoutMs,
      keepAlive: options.keepAlive,
      minAgentVersion: options.minAgentVersion ?? null,
    });
    const containers = new ContainerService({ store, gateway, longCallTimeoutMs: options.longCallTimeoutMs });
    let leadership: FailoverLeadership | null = null;
    const failover = new FailoverController({
      isLeader: () => leadership?.isLeader ?? !cluster,
      store,
      liveness: gateway.liveness,
      actions: containers,
      logger,
      now,
      lostAfterMs: options.lostAfterMs,
      suspectAfterMs: options.suspectAfterMs,
      graceMs: options.failoverGraceMs,
      checkIntervalMs: options.failoverCheckIntervalMs,
      retryBaseMs: options.failoverRetryBaseMs,
      retryMaxMs: options.failoverRetryMaxMs,
    });
    gateway.admitReturning = (nodeId) => failover.admit(nodeId);
    if (gateway.cluster) leadership = new FailoverLeadership(gateway.cluster.lease('failover'), failover, gateway.cluster, gateway.liveness as ClusterLiveness, logger);
    const log = nats
      ? await ClusterEventLog.start({
          nc: nats,
          prefix,
          capacity: options.eventReplayEvents,
          weigh: liveEventWeight,
          events: STREAMED_EVENTS,
          onError: (error) => logger.warn('live event stream', { error: error instanceof Error ? error.message : String(error) }),
        })
      : undefined;
    const migrations = new MigrationRunner({ store, gateway, containers, failover, logger });
    const catalog = new ReleaseCatalog(options.releasesDir ?? null, logger);
    // The first read is waited for: the builds on offer are known before the first request.
    await catalog.refresh();
    const rollouts = new RolloutRunner({ store, gateway, catalog, failover, logger, now, backWithinMs: options.rolloutBackWithinMs });
    let listening = '';
    const live = new LiveEvents({
      store,
      gateway,
      failover,
      catalog,
      rollouts,
      now,
      log,
      replayEvents: options.eventReplayEvents,
      heartbeatEventIntervalMs: options.heartbeatEventIntervalMs,
      heartbeatBatchNodes: options.heartbeatBatchNodes,
      eventSliceMs: options.eventSliceMs,
      samplesPerNode: options.samplesPerNode,
      sampleIntervalMs: options.sampleIntervalMs,
    });
    const sessions = new Sessions({ store: store.sessions, adminToken, sessionTtlMs: options.sessionTtlMs, now });
    await sessions.sweep();
    const replica = gateway.cluster ? { id: gateway.cluster.replicaId, isLeader: () => leadership?.isLeader ?? false, leader: () => leadership?.leader ?? null } : null;
    const router = apiRouter(
      {
        replica: replica ? () => ({ id: replica.id, leader: replica.leader() }) : null,
        store,
        gateway,
        containers,
        failover,
        migrations,
        key,
        tokenTtlSeconds: options.tokenTtlSeconds ?? null,
        now,
        chooser: failover.chooser,
        live,
        adminToken,
        sessions,
        signIn: new SignInLimiter({ maxFailures: options.signInMaxFailures, windowMs: options.signInWindowMs, now }),
        logs: new SharedLogStreams({ tailLines: options.sharedLogTailLines }),
        eventsMaxBufferedBytes: options.eventsMaxBufferedBytes ?? 8 * 1024 * 1024,
        eventsKeepAliveMs: options.eventsKeepAliveMs ?? 15_000,
        eventsFlushIntervalMs: options.eventsFlushIntervalMs ?? 25,
        catalog,
        rollouts,
        joinCodeTtlMs: options.joinCodeTtlMs ?? 15 * 60_000,
        joinLimiter: new SignInLimiter({ maxFailures: options.joinMaxFailures ?? 10, windowMs: options.joinWindowMs, now }),
        publicUrl: () => (options.publicUrl ?? listening).replace(/\/$/, ''),
        installScript: readFileSync(INSTALL_SCRIPT, 'utf8'),
        logger,
      },
      limits,
    );
    const authenticate = createRequestAuthenticator({ adminToken, sessions });
    const dashboardDir = options.dashboardDir === undefined ? DEFAULT_DASHBOARD_DIR : options.dashboardDir;
    const server = createHttpServer(serveDashboard(createApi(router, { adminToken, logger, authenticate }), dashboardDir), limits);
    server.on('upgrade', (request, socket, head) => gateway.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    failover.start();
    leadership?.start();
    const { port, address, family } = server.address() as AddressInfo;
    const host = family === 'IPv6' ? `[${address}]` : address;
    listening = `http://${host}:${port}`;
    let closing: Promise<void> | null = null;
    return {
      url: `http://${host}:${port}`,
      port,
      adminToken,
      store,
      gateway,
      failover,
      routes: router.routes(),
      live,
      replica,
      close: () =>
        (closing ??= (async () => {
          failover.stop();
          await leadership?.stop();
          live.close();
          (log as ClusterEventLog | undefined)?.close();
          await gateway.close();
          await failover.idle();
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
          await live.settled();
          await nats?.drain().catch(() => {});
          await store.close();
        })()),
    };
  } catch (error) {
    await nats?.close().catch(() => {});
    await store.close();
    throw error;
  }
}
