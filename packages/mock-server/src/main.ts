import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startMockServer } from './server.js';

/**
 * `lormas-mock`: runs the mock server until SIGINT or SIGTERM. The admin token, when it was
 * generated, is printed once to stdout and never to the log.
 */
async function main(): Promise<void> {
  // Whatever this process creates (the database and its journals) is for this user alone.
  process.umask(0o077);
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`lormas-mock: ${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel });
  const server = await startMockServer({
    port: config.port,
    host: config.host,
    adminToken: config.adminToken,
    dataDir: config.dataDir,
    tokenTtlSeconds: config.tokenTtlSeconds,
    lostAfterMs: config.lostAfterMs,
    suspectAfterMs: config.suspectAfterMs,
    failoverGraceMs: config.failoverGraceMs,
    databaseUrl: config.databaseUrl,
    cluster: config.natsUrl ? { natsUrl: config.natsUrl, replicaId: config.replicaId ?? undefined, replicaTtlMs: config.replicaTtlMs } : null,
    logger,
  });
  process.stdout.write(`lormas-mock dashboard: ${server.url}/dashboard\n`);
  process.stdout.write(`lormas-mock listening on ${server.url} (agents: ${server.url.replace(/^http/, 'ws')})\n`);
  if (config.adminTokenGenerated) process.stdout.write(`admin token (generated, shown once): ${config.adminToken}\n`);
  logger.info('started', {
    url: server.url,
    data: config.databaseUrl ? 'PostgreSQL' : (config.dataDir ?? 'in memory'),
    ...(server.replica ? { replica: server.replica.id } : {}),
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stop failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Listen failures that a setting caused, named by that setting: a configuration error (exit 2). */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'PORT: the port is in use',
  EACCES: 'PORT: not allowed to listen on this port',
  EADDRNOTAVAIL: 'HOST: not an address of this machine',
  ENOTFOUND: 'HOST: no such host',
  EAI_AGAIN: 'HOST: the name could not be resolved',
};

main().catch((error: unknown) => {
  // Only the listen itself (and its name lookup): the same codes from opening the data folder are not PORT's.
  const { code, syscall } = error as { code?: string; syscall?: string };
  const setting = syscall === 'listen' || syscall === 'getaddrinfo' ? LISTEN_ERRORS[code ?? ''] : undefined;
  process.stderr.write(`lormas-mock: ${setting ?? (error instanceof Error ? error.message : String(error))}\n`);
  process.exit(setting ? 2 : 1);
});
