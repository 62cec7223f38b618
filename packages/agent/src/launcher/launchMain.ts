import path from 'node:path';
import { BUILD_KIND } from '../buildInfo.js';
import { ConfigError, EXIT_CONFIG } from '../configError.js';
import { createLogger } from '../logger.js';
import { type LauncherSettings, loadLauncherSettings } from '../settings/loadLauncherSettings.js';
import { StateDir, StateDirError } from '../StateDir.js';
import { Launcher } from './Launcher.js';
import { startBuild } from './startBuild.js';

/**
 * `lormas-agent launch`: the launcher, as the systemd unit runs it. Its own file is the
 * installed build (root's); it runs the current build and hands over to new ones. Returns
 * the exit status for the service manager.
 */
export async function launchMain(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let settings: LauncherSettings;
  let state: StateDir;
  try {
    settings = loadLauncherSettings(env);
    state = StateDir.open(settings.stateDir);
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`lormas-agent launch: ${error.message}\n`);
    else if (error instanceof StateDirError) process.stderr.write(`lormas-agent launch: STATE_DIR: ${error.message}\n`);
    else throw error;
    return EXIT_CONFIG;
  }
  const logger = createLogger({ level: settings.logLevel }).child({ role: 'launcher' });
  const installed = BUILD_KIND === 'exe' ? process.execPath : path.resolve(process.argv[1] ?? '');
  const launcher = new Launcher({ state, key: settings.releaseKey, installed, start: startBuild, logger });
  // Each signal goes on to the build that runs, trial or not, as it came: systemd's stop must reach the agent, not wait for its timeout.
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('signal received; stopping the agent', { signal });
    launcher.stop(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  logger.info('launcher started', { installed, remoteUpgrades: settings.releaseKey !== null, releaseKey: settings.releaseKey?.fingerprint });
  return launcher.run();
}
