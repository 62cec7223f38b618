import { join } from 'node:path';
import { type AgentConfig, ConfigError, helpText, loadConfig } from './config.js';
import { readDotenv } from './dotenv.js';
import { limitRuntimeMemory } from './limitRuntimeMemory.js';
import { createLogger } from './logger.js';
import { startAgent } from './startAgent.js';
import { StateDir, StateDirError } from './StateDir.js';
import { AGENT_VERSION } from './version.js';

export { startAgent, type RunningAgent } from './startAgent.js';

/** Exit status for a usage or configuration error (sysexits' EX_USAGE is 64; 2 is the shell's convention, which systemd shows plainly). */
export const EXIT_USAGE = 2;

/** The command line: `--help`, `--version`, or run until SIGTERM/SIGINT. Returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  limitRuntimeMemory();
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
  let state: StateDir;
  try {
    state = StateDir.open(config.stateDir);
  } catch (error) {
    if (!(error instanceof StateDirError)) throw error;
    process.stderr.write(`lormas-agent: STATE_DIR: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const logger = createLogger({ level: config.logLevel, secrets: [config.nodeToken] });
  const agent = startAgent(config, logger, state);
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
