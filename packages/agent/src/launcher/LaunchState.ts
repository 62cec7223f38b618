import type { StateDir } from '../StateDir.js';

/**
 * The file in the state folder where the launcher keeps which build runs. The launcher is its
 * only writer: the agent reads it (for `lastUpgrade`) and asks for a handover in a file of its
 * own (`LaunchRequest.ts`), which the launcher takes in while no agent runs. With two writers,
 * each reading the file and writing it back, one could undo the other's change: a trial the
 * agent asked for, or the launcher's verdict. Under a launcher installed before requests
 * (`LAUNCH_REQUESTS_VARIABLE` unset), which reads only this file, the agent writes its trial
 * here, as every build did then.
 */
export const LAUNCH_STATE_FILE = 'launch.json';
/** The folder in the state folder that holds the builds an upgrade placed. */
export const BUILDS_FOLDER = 'builds';

/** One build the agent placed in the builds folder: its file name there, version and hash. */
export interface BuildRef {
  /** A plain name in the builds folder: letters, digits, `.`, `_` and `-`, never `.` or `..`. */
  file: string;
  /** At most 128 characters. */
  version: string;
  /** SHA-256, 64 lowercase hex digits. */
  sha256: string;
}

/** A build the agent asked to hand over to, with the deadline it has to come online. */
export interface Trial {
  build: BuildRef;
  /** At most `MAX_TIMER_MS`. */
  deadlineMs: number;
  /** Epoch milliseconds. */
  requestedAt: number;
}

export interface LaunchState {
  /** The build the launcher runs; `null` for the installed one. */
  current: BuildRef | null;
  /** The build that ran before `current`; `null` for the installed one. */
  previous: BuildRef | null;
  /** A build handed over to and not yet judged: the launcher starts it on trial. */
  trial: Trial | null;
  /** How the last trial ended; `reason` at most 4,096 characters. */
  lastUpgrade: { version: string; outcome: 'succeeded' | 'rolled-back'; reason?: string; at: number } | null;
}

export const EMPTY_LAUNCH_STATE: LaunchState = { current: null, previous: null, trial: null, lastUpgrade: null };

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown, maxChars: number): value is string => typeof value === 'string' && value.length <= maxChars;
/** Epoch milliseconds as the protocol's `EpochMs` bounds them (to the end of year 9999): `lastUpgrade.at` goes out in `hello`, which the server checks. */
const MAX_EPOCH_MS = 253_402_300_799_999;
const isTime = (value: unknown): value is number => typeof value === 'number' && value >= 0 && value <= MAX_EPOCH_MS;
/** The longest wait a timer can hold: above it, Node fires at once and a trial would be rolled back for nothing. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

function isBuildRef(value: unknown): value is BuildRef {
  return (
    isObject(value) &&
    typeof value['file'] === 'string' &&
    /^[A-Za-z0-9._-]+$/.test(value['file']) &&
    value['file'] !== '.' &&
    value['file'] !== '..' &&
    isText(value['version'], 128) &&
    typeof value['sha256'] === 'string' &&
    /^[0-9a-f]{64}$/.test(value['sha256'])
  );
}

const isTrial = (value: unknown): value is Trial =>
  isObject(value) && isBuildRef(value['build']) && Number.isSafeInteger(value['deadlineMs']) && (value['deadlineMs'] as number) >= 0 && (value['deadlineMs'] as number) <= MAX_TIMER_MS && isTime(value['requestedAt']);

const pickBuild = (build: BuildRef): BuildRef => ({ file: build.file, version: build.version, sha256: build.sha256 });

/** The trial in `value`, or `null` when it is not one; checked as `parseLaunchState` checks its `trial`. Unknown fields are dropped. */
export function parseTrial(value: unknown): Trial | null {
  return isTrial(value) ? { build: pickBuild(value.build), deadlineMs: value.deadlineMs, requestedAt: value.requestedAt } : null;
}

const isLastUpgrade = (value: unknown): value is LaunchState['lastUpgrade'] =>
  isObject(value) &&
  isText(value['version'], 128) &&
  (value['outcome'] === 'succeeded' || value['outcome'] === 'rolled-back') &&
  (value['reason'] === undefined || isText(value['reason'], 4_096)) &&
  isTime(value['at']);

/**
 * The launch state in `value` (the parsed file), or `null` when it is not one. Written by
 * hand, not with zod: the launcher reads it, and the launcher stays resident beside the agent
 * for as long as the agent runs; zod would cost it megabytes (see `loadLauncherSettings`).
 * Unknown fields are dropped.
 */
export function parseLaunchState(value: unknown): LaunchState | null {
  if (!isObject(value)) return null;
  const { current = null, previous = null, trial = null, lastUpgrade = null } = value;
  if (current !== null && !isBuildRef(current)) return null;
  if (previous !== null && !isBuildRef(previous)) return null;
  if (trial !== null && !isTrial(trial)) return null;
  if (lastUpgrade !== null && !isLastUpgrade(lastUpgrade)) return null;
  return {
    current: current && pickBuild(current),
    previous: previous && pickBuild(previous),
    trial: parseTrial(trial),
    lastUpgrade: lastUpgrade && {
      version: lastUpgrade.version,
      outcome: lastUpgrade.outcome,
      ...(lastUpgrade.reason !== undefined ? { reason: lastUpgrade.reason } : {}),
      at: lastUpgrade.at,
    },
  };
}

/**
 * The largest launch state read: two builds, a trial and a last upgrade whose reason is at most
 * 4,096 characters (up to four bytes each) take less than 20 KiB.
 */
const MAX_LAUNCH_STATE_BYTES = 64 * 1024;

/**
 * Reads the launch state; a missing or unreadable file is the empty state (run the installed
 * build), and so is one that is not a plain file of at most `MAX_LAUNCH_STATE_BYTES` (a link,
 * a pipe that would block the launcher, a file made huge): the agent's user can write the
 * state folder, and the launcher does not trust what is there.
 */
export function readLaunchState(dir: StateDir): LaunchState {
  try {
    const text = dir.readPlain(LAUNCH_STATE_FILE, MAX_LAUNCH_STATE_BYTES);
    return (text !== null && parseLaunchState(JSON.parse(text))) || EMPTY_LAUNCH_STATE;
  } catch {
    return EMPTY_LAUNCH_STATE;
  }
}

/** Replaces the launch state, synced to disk: the launcher, and an agent under a launcher installed before requests. */
export function writeLaunchState(dir: StateDir, state: LaunchState): Promise<void> {
  return dir.write(LAUNCH_STATE_FILE, state, { durable: true });
}
