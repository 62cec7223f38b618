import { CloseCode, type ContainerEvent } from '@lormas/protocol';
import { ArchiveTransfers } from './archives/ArchiveTransfers.js';
import type { AgentConfig } from './config.js';
import { AgentConnection } from './connection.js';
import { createDockerRuntime } from './docker/dockerRuntime.js';
import { createHandlers } from './handlers.js';
import { Journal } from './journal.js';
import type { Logger } from './logger.js';
import { feedContainerEvents } from './node/containerEvents.js';
import { EngineWatch } from './node/engineWatch.js';
import { Fencing } from './node/Fencing.js';
import { LastSession } from './node/LastSession.js';
import { RunningBindGuard } from './node/RunningBindGuard.js';
import { OperationLedger } from './operations/OperationLedger.js';
import { agentProtectedPaths } from './policy/agentProtectedPaths.js';
import { managedLabels } from './policy/assertManaged.js';
import { ForbiddenPaths } from './policy/ForbiddenPaths.js';
import { StateDir } from './StateDir.js';
import { buildInfo } from './buildInfo.js';
import { readLaunchState } from './launcher/LaunchState.js';
import { optimisingCompilerHeld, releaseOptimisingCompiler, watchForBusy } from './optimisingCompiler.js';
import { AgentUpgrader } from './upgrade/AgentUpgrader.js';
import { AGENT_VERSION } from './version.js';
import { MountGuard } from './volumes/MountGuard.js';
import { VolumeOwnership } from './volumes/VolumeOwnership.js';

/** What the agent tells, and is told by, whoever started it (its launcher, through `main`). */
export interface AgentHooks {
  /** A launcher started this agent: it can hand over to a new build. @default false */
  underLauncher?: boolean;
  /** The launcher takes upgrade requests in their own file (`LAUNCH_REQUESTS_VARIABLE`); otherwise a trial is written in the launch state. @default false */
  launcherTakesRequests?: boolean;
  /** Epoch ms until which this agent is still in a handover: fencing does not count before then. */
  handoverUntil?: number | null;
  /** The agent is online: the server accepted its session and the engine answered. Called once or more. */
  onReady?(): void;
  /** A new build is in place: shut down and exit so the launcher starts it. */
  handOver?(): void;
}

export interface RunningAgent {
  /** Stops taking commands, finishes or cancels what is in flight, closes the link. */
  shutdown(): Promise<void>;
}

/**
 * Starts the agent with a parsed configuration. `state` is the opened `STATE_DIR`; it is
 * opened here when not given (and throws `StateDirError` when it cannot be).
 */
export function startAgent(config: AgentConfig, logger: Logger, state: StateDir = StateDir.open(config.stateDir), hooks: AgentHooks = {}): RunningAgent {
  const startedAt = Date.now();
  const stopping = new AbortController();
  const runtime = createDockerRuntime({ dockerHost: config.dockerHost });
  const labels = managedLabels(config.nodeId);
  const ledger = new OperationLedger({ maxRunning: config.limits.maxRunningOperations, maxWatchWaiters: config.limits.maxWatchWaiters });
  const events = new Journal<ContainerEvent>(1_000);
  const forbidden = new ForbiddenPaths(
    agentProtectedPaths({ dockerHost: config.dockerHost, stateDir: state.path, cwd: process.cwd(), entry: process.argv[1], configFile: config.configFile, tokenFile: config.tokenFile }),
  );
  let sessionUp = false;
  const readyIfOnline = () => {
    if (sessionUp && engine.engineVersion !== null) hooks.onReady?.();
  };
  const volumes = new VolumeOwnership({ runtime, nodeId: config.nodeId, allowList: config.guardRails.volumeAllowList, stateDir: state, logger });
  const mounts = new MountGuard({ rails: config.guardRails, forbidden, volumes });
  const bindGuard = new RunningBindGuard({ runtime, nodeId: config.nodeId, managedLabels: labels, rails: config.guardRails, forbidden, events, logger });
  const engine = new EngineWatch({
    runtime,
    managedLabels: labels,
    logger,
    intervalMs: Math.min(config.heartbeatIntervalMs, 5_000),
    // The engine may come back with another data root; volumes made before owned ones existed are adopted once it answers.
    onUp: async () => {
      forbidden.setDataRoot(await runtime.dataRoot());
      await volumes.adoptLegacy();
      readyIfOnline();
    },
  });
  const archives = new ArchiveTransfers(runtime);
  const fencing = new Fencing({ runtime, managedLabels: labels, logger, lastSession: new LastSession(state, config.nodeId), notBefore: hooks.handoverUntil ?? undefined });
  const upgrader = new AgentUpgrader({
    config,
    state,
    build: buildInfo(),
    underLauncher: hooks.underLauncher ?? false,
    launcherTakesRequests: hooks.launcherTakesRequests ?? false,
    version: AGENT_VERSION,
    logger,
    handOver: () => hooks.handOver?.(),
  });
  let connection: AgentConnection | null = null;
  const { handlers, stopAccepting, drain } = createHandlers({
    runtime,
    ledger,
    engine,
    events,
    archives,
    mounts,
    forbidden,
    logger,
    config,
    startedAt,
    upgrader,
    lastUpgrade: () => readLaunchState(state).lastUpgrade,
    // The first hello of a session accepts it; the server may call hello again (any number of times) and changes nothing by it.
    onHello: () => {
      if (sessionUp) return;
      fencing.sessionAccepted();
      connection?.sessionAccepted();
      sessionUp = true;
      readyIfOnline();
    },
  });
  connection = new AgentConnection({
    serverUrl: config.serverUrl,
    token: config.nodeToken,
    tokenInQuery: config.tokenInQuery,
    handlers,
    logger,
    ca: config.ca,
    maxPayloadBytes: config.maxPayloadBytes,
    reconnect: config.reconnect,
    keepAlive: config.keepAlive,
    logWindowMaxBytes: config.logHighWaterMarkBytes,
    onClose: () => {
      sessionUp = false;
      fencing.serverLost();
    },
  });
  const link = connection;

  for (const warning of config.warnings) logger.warn(warning);
  const busy = optimisingCompilerHeld()
    ? watchForBusy({
        onBusy: (share) => {
          if (releaseOptimisingCompiler()) logger.info('optimising compiler on: the agent is busy', { cpuShare: Math.round(share * 100) / 100 });
        },
      })
    : null;
  engine.start();
  fencing.start();
  const sweep = () => void bindGuard.sweep().catch((error: unknown) => logger.warn('guard rail sweep failed', { error }));
  void feedContainerEvents(runtime, labels, events, logger, stopping.signal, {
    // Starts made while the stream was down (or before the agent ran) are found by a sweep.
    onOpen: sweep,
    onStart: (id) => void bindGuard.check(id).catch((error: unknown) => logger.warn('guard rail check failed', { container: id, error })),
  });
  // The engine's first answer goes into `hello`; dial once it is known (or known to be down).
  void engine.ready().finally(() => {
    if (!stopping.signal.aborted) link.start();
  });
  logger.info('agent started', { version: AGENT_VERSION, node: config.nodeName, nodeId: config.nodeId, server: config.serverUrl, docker: config.dockerHost, state: state.path });

  let shuttingDown: Promise<void> | null = null;
  return {
    shutdown() {
      shuttingDown ??= (async () => {
        logger.info('shutting down');
        stopAccepting();
        const drained = await drain(config.shutdownTimeoutMs);
        if (drained === 'timed-out') logger.warn('operations still running at shutdown were abandoned', { timeoutMs: config.shutdownTimeoutMs });
        // The answers of the commands that just finished are sent a few ticks after they settle.
        await new Promise((resolve) => setImmediate(resolve));
        stopping.abort();
        busy?.stop();
        events.close();
        archives.closeAll();
        engine.stop();
        await fencing.stop();
        await link.stop(CloseCode.Normal, 'agent shutting down');
        logger.info('stopped');
      })();
      return shuttingDown;
    },
  };
}
