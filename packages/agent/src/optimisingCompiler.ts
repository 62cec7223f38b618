import { setFlagsFromString } from 'node:v8';

/**
 * V8's optimising compilers, held back until the agent is busy (issue 16).
 *
 * An idle agent runs a little code often: heartbeats, the engine's events, the inventory. At
 * V8's normal thresholds some of it is optimised within minutes, and the first optimisation
 * pages in the optimising compiler's code from the `node` binary (2.8 MiB of TurboFan) and
 * leaves its zones in the malloc arenas of V8's worker threads. None of that pays at idle: the
 * interpreter and Sparkplug run a heartbeat in microseconds. It pays when the agent is busy: a
 * log flood through the interpreter costs twice the CPU per MB and reaches 0.6 of the
 * engine's own read rate instead of 1.0.
 *
 * So on Node the agent starts with TurboFan (and Maglev, on the V8 versions that have it on)
 * switched off, and `watchForBusy` switches them on for the life of the process the first
 * time the agent spends a quarter of a core or more over a second. Measured with the agent
 * file on Node 20, runs interleaved: idle with 50 managed containers, RSS over bare `node` in
 * the same run, 19.0 and 19.4 MiB with the compilers on from the start, 12.3 and 12.5 with
 * them held; a log read whole (`pnpm bench --only=3`) at 1.05 and 1.20 of the engine's own
 * read rate and 1.11 and 1.10 of its CPU per MB with the watch, against 0.56 and 0.61, at 2.65
 * and 2.40 times the CPU, with the compilers off throughout.
 *
 * V8 reads both flags whenever it decides to optimise a function, so setting them from the
 * code works on Node 18 to 24 (measured: a hot loop runs at the interpreter's speed until the
 * flags are set back, at the optimised speed after). An operator who starts `node` with a flag
 * of their own for the compiler tiers wins: the agent then leaves the tiers as they are.
 */
const TIER_FLAG = /^--(no-?)?(opt|turbofan|maglev|max[-_]opt|jitless|lite[-_]mode)(=|$)/;

/** The flags that put the compilers back as V8 had them, and what sets them; null while they are not held. */
let held: { flags: string; setFlags: (flags: string) => void } | null = null;

/** How `node` was started, as far as the compiler tiers go. */
export interface CompilerImage {
  /** V8's major version: Maglev is on by default from 12 (Node 22). */
  v8Major: number;
  /** The flags `node` was started with: its command line's and `NODE_OPTIONS`'. */
  startFlags: readonly string[];
}

/**
 * Switches the optimising compilers off until `releaseOptimisingCompiler`. Returns whether it
 * did: not when the operator started `node` with a tier flag of their own, nor twice. For Node
 * only (`limitRuntimeMemory` calls it there); Bun's JavaScriptCore has its own thresholds.
 */
export function holdOptimisingCompiler(image: CompilerImage = currentImage(), setFlags: (flags: string) => void = setFlagsFromString): boolean {
  if (held !== null || image.startFlags.some((flag) => TIER_FLAG.test(flag))) return false;
  const maglev = image.v8Major >= 12;
  setFlags(maglev ? '--no-opt --no-maglev' : '--no-opt');
  held = { flags: maglev ? '--opt --maglev' : '--opt', setFlags };
  return true;
}

/** Whether the optimising compilers are held back now. */
export function optimisingCompilerHeld(): boolean {
  return held !== null;
}

/** Switches the optimising compilers back on; returns whether they were held. */
export function releaseOptimisingCompiler(): boolean {
  if (held === null) return false;
  const { flags, setFlags } = held;
  held = null;
  setFlags(flags);
  return true;
}

export interface BusyWatchOptions {
  /**
   * The share of one core, over one window, from which the agent counts as busy. A log flood
   * through the interpreter takes half a core and more; an idle agent with 50 containers takes
   * under 1 %, its start-up and a burst of container creations well under a quarter.
   * @default 0.25
   */
  busyShare?: number;
  /** @default 1000 */
  windowMs?: number;
  /** The process's CPU time so far, in microseconds. @default process.cpuUsage */
  cpuUsage?: () => { user: number; system: number };
  /** A monotonic clock in milliseconds: a window is the time that really passed, however late its timer fired. @default process.uptime() * 1000 */
  now?: () => number;
  /** Called once, with the share measured, the first time a window is busy; the watch then stops. */
  onBusy(share: number): void;
}

/** Calls `onBusy` the first time the process spends `busyShare` of a core or more over a window. */
export function watchForBusy(options: BusyWatchOptions): { stop(): void } {
  const windowMs = options.windowMs ?? 1_000;
  if (!(windowMs > 0 && windowMs <= 2 ** 31 - 1)) throw new TypeError(`windowMs must be a positive number of milliseconds a timer honours, got ${windowMs}`);
  const busyShare = options.busyShare ?? 0.25;
  if (!(busyShare > 0 && Number.isFinite(busyShare))) throw new TypeError(`busyShare must be a positive share of a core, got ${busyShare}`);
  const cpuUsage = options.cpuUsage ?? (() => process.cpuUsage());
  const cpuMicros = () => {
    const { user, system } = cpuUsage();
    return user + system;
  };
  const now = options.now ?? (() => process.uptime() * 1_000);
  let last = { cpu: cpuMicros(), at: now() };
  const timer = setInterval(() => {
    const next = { cpu: cpuMicros(), at: now() };
    const share = (next.cpu - last.cpu) / 1_000 / Math.max(next.at - last.at, windowMs);
    last = next;
    if (share < busyShare) return;
    clearInterval(timer);
    options.onBusy(share);
  }, windowMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function currentImage(): CompilerImage {
  return {
    v8Major: Number(process.versions.v8.split('.')[0]),
    startFlags: [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/).filter(Boolean)],
  };
}
