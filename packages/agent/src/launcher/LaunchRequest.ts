import type { StateDir } from '../StateDir.js';
import { parseTrial, type Trial } from './LaunchState.js';

/**
 * The agent's side of the handover: the trial it asks its launcher to start, written just
 * before it exits for it. The launcher takes it into `launch.json`, of which it is the
 * only writer, and removes it, while no agent runs (at start-up and once the agent has exited),
 * so no write of one process falls between a read and a write of the other.
 */
export const LAUNCH_REQUEST_FILE = 'launch-request.json';

/** A request is a few hundred bytes; a larger file is refused unread. */
export const MAX_LAUNCH_REQUEST_BYTES = 4_096;

/** What the state folder holds: no request, a trial, or a file that is refused, and why. */
export type LaunchRequest = { trial: Trial } | { refused: string } | null;

/** Asks the launcher to hand over to `trial`: written whole and synced before the agent exits. */
export function writeLaunchRequest(dir: StateDir, trial: Trial): Promise<void> {
  return dir.write(LAUNCH_REQUEST_FILE, trial, { durable: true });
}

/**
 * Reads the agent's request. The launcher does not trust it any more than `launch.json`: it is
 * checked by hand (`parseTrial`; no zod in the launcher), and it is read only when it is a
 * plain file (not a link, not a pipe that would block the launcher) of at most
 * `MAX_LAUNCH_REQUEST_BYTES`.
 */
export function readLaunchRequest(dir: StateDir): LaunchRequest {
  let text: string;
  try {
    const read = dir.readPlain(LAUNCH_REQUEST_FILE, MAX_LAUNCH_REQUEST_BYTES);
    if (read === null) return null;
    text = read;
  } catch (error) {
    return { refused: (error as Error).message };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { refused: 'it is not JSON' };
  }
  const trial = parseTrial(value);
  return trial ? { trial } : { refused: 'it is not a trial: a build in the builds folder, its version and hash, a deadline and a time' };
}
