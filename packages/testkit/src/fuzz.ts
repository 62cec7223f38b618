import { randomInt } from 'node:crypto';
import fc from 'fast-check';

/**
 * The conventions every fuzzer of the workspace shares, so that one line replays any of
 * them: `LORMAS_FUZZ_SEED` replays a seed, `LORMAS_FUZZ=long` runs the long mode.
 */
export const FUZZ_SEED_VARIABLE = 'LORMAS_FUZZ_SEED';
export const FUZZ_MODE_VARIABLE = 'LORMAS_FUZZ';

export type FuzzMode = 'quick' | 'long';

export interface FuzzRuns {
  /** Runs of the quick default, which `pnpm test` uses: keep the file well under a minute. */
  quick: number;
  /** Runs with `LORMAS_FUZZ=long`. */
  long: number;
}

export interface FuzzSettings {
  /** A 32-bit seed: `LORMAS_FUZZ_SEED`, or a random one. */
  seed: number;
  mode: FuzzMode;
  numRuns: number;
  /** The environment that replays this run, e.g. `LORMAS_FUZZ_SEED=123 LORMAS_FUZZ=long`. */
  replay: string;
}

/** Thrown when a fuzz run fails; its message names the seed and how to replay it. */
export class FuzzFailure extends Error {
  override name = 'FuzzFailure';
  constructor(
    readonly settings: FuzzSettings,
    report: string,
    options?: { cause?: unknown },
  ) {
    super(`fuzzing failed with seed ${settings.seed}; replay it with ${settings.replay}\n${report}`, options);
  }
}

/**
 * The seed and run count of a fuzz run, from the environment. A malformed variable is a
 * `TypeError` naming it: a replay that silently used another seed would prove nothing.
 */
export function fuzzSettings(runs: FuzzRuns, env: Record<string, string | undefined> = process.env): FuzzSettings {
  const modeText = env[FUZZ_MODE_VARIABLE]?.trim() || 'quick';
  if (modeText !== 'quick' && modeText !== 'long') throw new TypeError(`${FUZZ_MODE_VARIABLE} must be "quick" or "long" (got "${modeText}")`);
  const seedText = env[FUZZ_SEED_VARIABLE]?.trim();
  let seed: number;
  if (seedText) {
    seed = Number(seedText);
    if (!/^-?\d+$/.test(seedText) || seed !== (seed | 0)) throw new TypeError(`${FUZZ_SEED_VARIABLE} must be a 32-bit integer (got "${seedText}")`);
  } else {
    seed = randomInt(-(2 ** 31), 2 ** 31);
  }
  const mode: FuzzMode = modeText;
  return { seed, mode, numRuns: runs[mode], replay: `${FUZZ_SEED_VARIABLE}=${seed}${mode === 'long' ? ` ${FUZZ_MODE_VARIABLE}=long` : ''}` };
}

/** One line for a test's log: what runs and how to get the other mode. */
export function describeFuzz(settings: FuzzSettings): string {
  const other = settings.mode === 'quick' ? `; ${FUZZ_MODE_VARIABLE}=long runs the long mode` : '';
  return `fuzzing with seed ${settings.seed}, ${settings.numRuns} runs (${settings.mode}${other}); replay: ${settings.replay}`;
}

/**
 * Runs a property with the settings' seed and run count and throws a `FuzzFailure` naming
 * the seed when it fails. An exception nobody caught, or a rejection nobody handled,
 * while it runs (the process would otherwise die without a word of the seed) fails it too.
 */
export async function checkFuzz<Ts>(property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>, settings: FuzzSettings, parameters: fc.Parameters<Ts> = {}): Promise<void> {
  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => void escaped.push(error);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  try {
    // The property's own error goes into the report: a test runner may print only the message.
    const details = await fc.check(property, { includeErrorInReport: true, ...parameters, seed: settings.seed, numRuns: settings.numRuns });
    if (details.failed) throw new FuzzFailure(settings, fc.defaultReportMessage(details) ?? 'the property failed', { cause: details.errorInstance });
    if (escaped.length > 0) throw new FuzzFailure(settings, `an error escaped while fuzzing: ${String(escaped[0])}`, { cause: escaped[0] });
  } finally {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  }
}
