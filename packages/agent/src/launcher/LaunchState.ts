import * as z from 'zod';
import type { StateDir } from '../StateDir.js';

/** The file in the state folder where the launcher and the agent keep which build runs. */
export const LAUNCH_STATE_FILE = 'launch.json';
/** The folder in the state folder that holds the builds an upgrade placed. */
export const BUILDS_FOLDER = 'builds';

/** One build the agent placed in the builds folder: its file name there, version and hash. */
export const BuildRef = z.object({
  file: z.string().regex(/^[A-Za-z0-9._-]+$/),
  version: z.string().max(128),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BuildRef = z.infer<typeof BuildRef>;

const LaunchStateSchema = z.object({
  /** The build the launcher runs; `null` for the installed one. */
  current: BuildRef.nullable(),
  /** The build that ran before `current`; `null` for the installed one. */
  previous: BuildRef.nullable(),
  /** A build handed over to and not yet judged: the launcher starts it on trial. */
  trial: z.object({ build: BuildRef, deadlineMs: z.number().int().min(0), requestedAt: z.number() }).nullable(),
  /** How the last trial ended. */
  lastUpgrade: z
    .object({ version: z.string().max(128), outcome: z.enum(['succeeded', 'rolled-back']), reason: z.string().max(4_096).optional(), at: z.number() })
    .nullable(),
});
export type LaunchState = z.infer<typeof LaunchStateSchema>;

export const EMPTY_LAUNCH_STATE: LaunchState = { current: null, previous: null, trial: null, lastUpgrade: null };

/**
 * Reads the launch state; a missing or unreadable file is the empty state (run the installed
 * build). The agent writes only `trial`; the launcher writes everything else.
 */
export function readLaunchState(dir: StateDir): LaunchState {
  const parsed = LaunchStateSchema.safeParse(dir.read(LAUNCH_STATE_FILE));
  return parsed.success ? parsed.data : EMPTY_LAUNCH_STATE;
}

export function writeLaunchState(dir: StateDir, state: LaunchState): Promise<void> {
  return dir.write(LAUNCH_STATE_FILE, state);
}
