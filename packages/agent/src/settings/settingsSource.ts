import { join } from 'node:path';
import { ConfigError } from '../configError.js';
import { parseDotenv, readDotenv } from '../dotenv.js';
import { ProtectedFileError, readProtectedFile } from './protectedFile.js';

/**
 * Settings that decide what the server may do on this host: the guard rails, and whose builds
 * the agent runs. Under `CONFIG_FILE` they are read from that root-owned file alone, never from
 * the environment or `.env`, so one file says what holds and nothing the agent's user can
 * write widens it. The release key and downgrades are read from `CONFIG_FILE` alone in any case.
 */
export const PROTECTED_VARIABLES = [
  'ALLOW_PRIVILEGED',
  'ALLOW_HOST_NETWORK',
  'ALLOW_HOST_PID',
  'ALLOW_HOST_IPC',
  'ALLOW_HOST_UTS',
  'ALLOW_CONTAINER_NAMESPACES',
  'ALLOWED_CAPABILITIES',
  'ALLOW_DEVICES',
  'BIND_ALLOW_LIST',
  'ALLOWED_SECURITY_OPTS',
  'VOLUME_ALLOW_LIST',
  'ALLOW_UNCONFINED_SECURITY_OPT',
  'RELEASE_KEY',
  'ALLOW_DOWNGRADE',
] as const;

/** Settings that exist only in `CONFIG_FILE`: what they allow is worth nothing if the agent's user could set it. */
const FILE_ONLY = new Set(['RELEASE_KEY', 'ALLOW_DOWNGRADE']);

const isSet = (value: string | undefined) => value !== undefined && value !== '';

/**
 * The agent's settings as one map: the root-owned `CONFIG_FILE` when the environment names
 * one, then `.env` in the working folder, then the environment (each wins over the one
 * before), protected settings from `CONFIG_FILE` alone. Throws `ConfigError`.
 */
export function settingsSource(env: Record<string, string | undefined>, cwd: string = process.cwd()): Record<string, string | undefined> {
  const dotenv = readDotenv(join(cwd, '.env'));
  const configFile = env['CONFIG_FILE'];
  if (!isSet(configFile)) {
    for (const name of FILE_ONLY) {
      if (isSet(env[name]) || isSet(dotenv[name])) throw new ConfigError(name, 'is read from CONFIG_FILE only, a root-owned file the agent cannot write');
    }
    return { ...dotenv, ...env };
  }
  let file: Record<string, string>;
  try {
    file = parseDotenv(readProtectedFile(configFile!));
  } catch (error) {
    if (error instanceof ProtectedFileError) throw new ConfigError('CONFIG_FILE', error.message);
    throw error;
  }
  for (const name of PROTECTED_VARIABLES) {
    if (isSet(env[name]) || isSet(dotenv[name])) throw new ConfigError(name, 'is a protected setting: with CONFIG_FILE it is read from that file only');
  }
  return { ...file, ...dotenv, ...env };
}
