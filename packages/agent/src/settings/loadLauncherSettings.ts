import path from 'node:path';
import { parseReleaseKey, type ReleaseKey } from '@lormas/protocol/release';
import { ConfigError } from '../configError.js';
import { LOG_LEVELS, type LogLevel } from '../logger.js';
import { settingsSource } from './settingsSource.js';

/** `STATE_DIR`'s default, relative to the working folder. */
export const DEFAULT_STATE_DIR = 'state';
/** `LOG_LEVEL`'s default. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
/** What `LOG_LEVEL` must be, as a refusal says it. */
export const LOG_LEVEL_RULE = `must be one of ${LOG_LEVELS.join(', ')}`;

/** The settings the launcher reads: where the builds are, how much it logs, whose builds it runs. */
export interface LauncherSettings {
  /** `STATE_DIR`, absolute. */
  stateDir: string;
  logLevel: LogLevel;
  /** `RELEASE_KEY` (`CONFIG_FILE` only); `null`: only the installed build runs. */
  releaseKey: ReleaseKey | null;
}

/**
 * The launcher's three settings, from the same sources as the agent's (`settingsSource`:
 * `CONFIG_FILE`, `.env`, the environment; the release key from `CONFIG_FILE` alone), with the
 * same defaults and the same rules as `VARIABLES`, which takes them from here. Throws
 * `ConfigError`.
 *
 * Not `loadSettings`: that parses every setting with zod, and the launcher stays resident
 * beside the agent for as long as the agent runs. zod and the contract's schemas it would load
 * cost about 6 MiB resident on Node, more on Bun (measured: the launcher at 48.7 MiB against
 * 43.9 MiB without them, bare `node` 39.4). Every other setting is the agent's to check: a bad
 * one stops the build the launcher starts with exit status 2, which the launcher passes on,
 * so the service manager still does not restart it in a loop.
 */
export function loadLauncherSettings(env: Record<string, string | undefined>, cwd: string = process.cwd()): LauncherSettings {
  const source = settingsSource(env, cwd);
  const value = (name: string) => (source[name] === undefined || source[name] === '' ? undefined : source[name]);
  const level = value('LOG_LEVEL') ?? DEFAULT_LOG_LEVEL;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError('LOG_LEVEL', `${LOG_LEVEL_RULE} (got "${level}")`);
  const key = value('RELEASE_KEY');
  let releaseKey: ReleaseKey | null = null;
  if (key !== undefined) {
    try {
      releaseKey = parseReleaseKey(key);
    } catch (error) {
      // Not echoed, as `loadSettings` does not echo it.
      throw new ConfigError('RELEASE_KEY', (error as Error).message);
    }
  }
  return { stateDir: path.resolve(value('STATE_DIR') ?? DEFAULT_STATE_DIR), logLevel: level as LogLevel, releaseKey };
}
