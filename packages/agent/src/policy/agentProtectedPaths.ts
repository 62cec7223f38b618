import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { ProtectedPath } from './ForbiddenPaths.js';

export interface AgentPaths {
  /** `DOCKER_HOST`; a `unix://` one names the socket whose folder is protected. */
  dockerHost: string;
  /** `STATE_DIR`, absolute. */
  stateDir: string;
  /** The working folder, where `.env` (with the token) is read. */
  cwd: string;
  /** The script the runtime started (`process.argv[1]`), whose folder is the agent's code. */
  entry?: string;
}

/**
 * The host paths this agent adds to those never bound, from its own configuration: the
 * folder of the engine socket it talks to (a custom `DOCKER_HOST` lives anywhere, often beside
 * the engine's state), its working folder (its `.env` holds the node token), its state folder
 * and its code. A container given one of these could take the engine, read the token, or
 * rewrite the agent. Each is listed as written and with its links resolved.
 */
export function agentProtectedPaths(paths: AgentPaths): ProtectedPath[] {
  const listed: ProtectedPath[] = [
    { path: paths.cwd, reason: "the agent's working folder, whose .env holds its token" },
    { path: paths.stateDir, reason: "the agent's state folder" },
  ];
  if (paths.entry) listed.push({ path: path.dirname(path.resolve(paths.cwd, paths.entry)), reason: "the agent's code" });
  if (paths.dockerHost.startsWith('unix://')) listed.push({ path: path.dirname(paths.dockerHost.slice('unix://'.length)), reason: 'the folder of the DOCKER_HOST socket' });
  return listed.flatMap((entry) => {
    let real: string;
    try {
      real = realpathSync(entry.path);
    } catch {
      return [entry];
    }
    return real === entry.path ? [entry] : [entry, { ...entry, path: real }];
  });
}
