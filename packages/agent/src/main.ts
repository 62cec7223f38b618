import { writeSync } from 'node:fs';
import { type AgentConfig, type AgentSettings, ConfigError, helpText, loadSettings, withToken } from './config.js';
import { EXIT_CONFIG } from './configError.js';
import { JoinRefusedError, JoinTimeoutError } from './join/joinExchange.js';
import { joinNode } from './join/joinNode.js';
import { readTokenFile, TokenFileError } from './join/TokenFile.js';
import { EXIT_HANDOVER, HANDOVER_UNTIL_VARIABLE, LAUNCH_REQUESTS_VARIABLE, LAUNCHER_FD_VARIABLE } from './launcher/handover.js';
import { parseHandoverUntil, parseLauncherFd } from './launcher/launcherVariables.js';
import { createLogger, type Logger } from './logger.js';
import { settingsSource } from './settings/settingsSource.js';
import { startAgent } from './startAgent.js';
import { StateDir, StateDirError } from './StateDir.js';
import { AGENT_VERSION } from './version.js';

export { startAgent, type RunningAgent } from './startAgent.js';

/** Exit status for a usage or configuration error (sysexits' EX_USAGE is 64; 2 is the shell's convention, which systemd shows plainly). */
export const EXIT_USAGE = EXIT_CONFIG;

/** One line on stderr, the way every refusal to start is reported. */
const fail = (message: string) => {
  process.stderr.write(`lormas-agent: ${message}\n`);
  return EXIT_USAGE;
};

/**
 * The node token: `NODE_TOKEN`, else `TOKEN_FILE`, else a join with `JOIN_CODE` (which writes
 * `TOKEN_FILE`). A used or expired code is a configuration error (exit 2); a server that
 * never answered is not (exit 1: a restart tries again with the same exchange id).
 */
async function resolveToken(settings: AgentSettings, state: StateDir, logger: Logger): Promise<string | number> {
  if (settings.nodeToken !== undefined) return settings.nodeToken;
  try {
    const kept = readTokenFile(settings.tokenFile);
    if (kept !== null) return kept;
  } catch (error) {
    if (error instanceof TokenFileError) return fail(`TOKEN_FILE: ${error.message}`);
    throw error;
  }
  if (settings.joinCode === undefined) return fail('NODE_TOKEN: is required: the node JWT returned by POST /api/nodes (or a TOKEN_FILE holding it, or a JOIN_CODE to trade for it)');
  try {
    return await joinNode({ ...settings, joinCode: settings.joinCode }, state, logger);
  } catch (error) {
    if (error instanceof JoinRefusedError) return fail(`JOIN_CODE: ${error.message}`);
    if (error instanceof TokenFileError) return fail(`TOKEN_FILE: ${error.message}`);
    if (error instanceof JoinTimeoutError) {
      process.stderr.write(`lormas-agent: JOIN_CODE: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The command line: `--help`, `--version`, `join`, or run until SIGTERM/SIGINT. Returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText());
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  const unknown = argv.find((arg, i) => arg.startsWith('-') || !(i === 0 && arg === 'join'));
  if (unknown) return fail(`unknown ${unknown.startsWith('-') ? 'option' : 'command'} ${unknown} (see --help)`);
  const joinOnly = argv[0] === 'join';
  let settings: AgentSettings;
  try {
    settings = loadSettings(settingsSource(env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(error.message);
  }
  let handoverUntil: number | null;
  let launcherFd: number | null;
  try {
    handoverUntil = parseHandoverUntil(env[HANDOVER_UNTIL_VARIABLE], Date.now());
    launcherFd = parseLauncherFd(env[LAUNCHER_FD_VARIABLE]);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(error.message);
  }
  let state: StateDir;
  try {
    state = StateDir.open(settings.stateDir);
  } catch (error) {
    if (!(error instanceof StateDirError)) throw error;
    return fail(`STATE_DIR: ${error.message}`);
  }
  const secrets = [settings.nodeToken, settings.joinCode].filter((s): s is string => s !== undefined);
  const startLogger = createLogger({ level: settings.logLevel, secrets });
  if (joinOnly && settings.nodeToken === undefined && readTokenFileQuietly(settings.tokenFile)) {
    process.stdout.write(`this node has a token already (${settings.tokenFile}); nothing to join\n`);
    return 0;
  }
  const token = await resolveToken(settings, state, startLogger);
  if (typeof token === 'number') return token;
  if (joinOnly) return 0;
  const config: AgentConfig = withToken(settings, token);
  const logger = createLogger({ level: config.logLevel, secrets: [...secrets, token] });
  return runAgent(config, logger, state, { fd: launcherFd, handoverUntil, takesRequests: env[LAUNCH_REQUESTS_VARIABLE] === '1' });
}

function readTokenFileQuietly(file: string): boolean {
  try {
    return readTokenFile(file) !== null;
  } catch {
    return false;
  }
}

/** Runs the agent until a signal (exit 0) or a handover to a new build (`EXIT_HANDOVER`). */
async function runAgent(config: AgentConfig, logger: Logger, state: StateDir, launcher: { fd: number | null; handoverUntil: number | null; takesRequests: boolean }): Promise<number> {
  const { fd, handoverUntil } = launcher;
  let toldReady = false;
  return new Promise<number>((resolve) => {
    let ending = false;
    const end = (code: number) => {
      if (ending) return;
      ending = true;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      void agent.shutdown().then(() => resolve(code));
    };
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info('signal received', { signal });
      end(0);
    };
    const agent = startAgent(config, logger, state, {
      underLauncher: fd !== null,
      launcherTakesRequests: launcher.takesRequests,
      handoverUntil,
      // The launcher judges a new build by this line: its session was accepted and it reached the engine.
      onReady: () => {
        if (fd === null || toldReady) return;
        toldReady = true;
        try {
          writeSync(fd, 'ready\n');
        } catch (error) {
          logger.warn("cannot tell the launcher that the agent is online", { error });
        }
      },
      handOver: () => {
        logger.info('handing over to the new build');
        end(EXIT_HANDOVER);
      },
    });
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
