import { CloseCode, type ContainerEvent } from '@lormas/protocol';
import { join } from 'node:path';
import { ArchiveTransfers } from './archives/ArchiveTransfers.js';
import { AgentConnection } from './connection.js';
import { type AgentConfig, ConfigError, helpText, loadConfig } from './config.js';
import { createDockerRuntime } from './docker/dockerRuntime.js';
import { readDotenv } from './dotenv.js';
import { createHandlers } from './handlers.js';
import { managedLabels } from './policy/assertManaged.js';
import { Journal } from './journal.js';
import { createLogger, type Logger } from './logger.js';
import { feedContainerEvents } from './node/containerEvents.js';
import { EngineWatch } from './node/engineWatch.js';
import { Fencing } from './node/Fencing.js';
import { OperationLedger } from './operations/OperationLedger.js';
import { AGENT_VERSION } from './version.js';

/** Exit status for a usage or configuration error (sysexits' EX_USAGE is 64; 2 is the shell's convention, which systemd shows plainly). */
export const EXIT_USAGE = 2;

export interface RunningAgent {
  /** Stops taking commands, finishes or cancels what is in flight, closes the link. */
  shutdown(): Promise<void>;
}

/** Starts the agent with a parsed configuration. */
export function startAgent(config: AgentConfig, logger: Logger): RunningAgent {
  const startedAt = Date.now();
  const stopping = new AbortController();
  const runtime = createDockerRuntime({ dockerHost: config.dockerHost });
  const labels = managedLabels(config.nodeId);
  const ledger = new OperationLedger();
  const events = new Journal<ContainerEvent>(1_000);
  const engine = new EngineWatch({ runtime, managedLabels: labels, logger, intervalMs: Math.min(config.heartbeatIntervalMs, 5_000) });
  const archives = new ArchiveTransfers(runtime);
  const fencing = new Fencing({ runtime, managedLabels: labels, logger });
  const { handlers, stopAccepting, drain } = createHandlers({ runtime, ledger, engine, events, archives, logger, config, startedAt });
  const connection = new AgentConnection({
    serverUrl: config.serverUrl,
    token: config.nodeToken,
    handlers,
    logger,
    ca: config.ca,
    maxPayloadBytes: config.maxPayloadBytes,
    reconnect: config.reconnect,
    keepAlive: config.keepAlive,
    logWindowMaxBytes: config.logHighWaterMarkBytes,
    onOpen: () => fencing.serverBack(),
    onClose: () => fencing.serverLost(),
  });

  engine.start();
  fencing.start();
  void feedContainerEvents(runtime, labels, events, logger, stopping.signal);
  // The engine's first answer goes into `hello`; dial once it is known (or known to be down).
  void engine.refresh().finally(() => {
    if (!stopping.signal.aborted) connection.start();
  });
  logger.info('agent started', { version: AGENT_VERSION, node: config.nodeName, nodeId: config.nodeId, server: config.serverUrl, docker: config.dockerHost });

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
        events.close();
        archives.closeAll();
        engine.stop();
        fencing.stop();
        await connection.stop(CloseCode.Normal, 'agent shutting down');
        logger.info('stopped');
      })();
      return shuttingDown;
    },
  };
}

/** The command line: `--help`, `--version`, or run until SIGTERM/SIGINT. Returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText());
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  const unknown = argv.find((arg) => arg.startsWith('-'));
  if (unknown) {
    process.stderr.write(`lormas-agent: unknown option ${unknown} (see --help)\n`);
    return EXIT_USAGE;
  }
  let config: AgentConfig;
  try {
    config = loadConfig({ ...readDotenv(join(process.cwd(), '.env')), ...env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`lormas-agent: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const logger = createLogger({ level: config.logLevel, secrets: [config.nodeToken] });
  const agent = startAgent(config, logger);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info('signal received', { signal });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      void agent.shutdown().then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}
