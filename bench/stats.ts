/**
 * One line of the benchmark table and of `bench-results.json`. `value` and `baseline` are
 * medians unless `center` says otherwise; `ratio` is value / baseline, so it reads the same whatever drifted on the machine.
 * A figure that could not be measured has null numbers and says why in `notes`.
 */
export interface BenchResult {
  name: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  /** Only when the baseline is in another unit than the value. */
  baselineUnit?: string;
  ratio: number | null;
  /** What was measured and how much of it, in words. */
  workload: string;
  median: number | null;
  p99: number | null;
  rounds: number;
  notes?: string;
  /** For a figure of the agent process: the runtime it ran on (`node`, `bun`, or `tsx` for the sources). */
  runtime?: 'node' | 'bun' | 'tsx';
  /** How `value` and `baseline` were taken, when not as medians: `trimmed mean` is the mean of the middle 60 % of samples. */
  center?: 'trimmed mean';
}

/** A line for a figure that this run could not measure; `notes` says why. Never a made-up number. */
export function notMeasured(name: string, unit: string, notes: string): BenchResult {
  return { name, value: null, unit, baseline: null, ratio: null, workload: 'none', median: null, p99: null, rounds: 0, notes };
}

/** Nearest-rank percentile (`p` in 0..100) of `samples`; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

/** The mean of `samples` without the lowest and the highest `fraction` of them; NaN for none. */
export function trimmedMean(samples: readonly number[], fraction = 0.2): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length * fraction);
  const middle = sorted.slice(cut, sorted.length - cut);
  return middle.length === 0 ? Number.NaN : middle.reduce((sum, n) => sum + n, 0) / middle.length;
}
export const p99 = (samples: readonly number[]) => percentile(samples, 99);

/** value / baseline, or null when either is missing or the baseline is zero. */
export function ratioOf(value: number | null, baseline: number | null): number | null {
  if (value === null || baseline === null || !Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return null;
  return value / baseline;
}

/** Rounds `n` to `digits` significant digits, for a readable JSON file. */
export function round(n: number | null, digits = 4): number | null {
  if (n === null || !Number.isFinite(n)) return null;
  if (n === 0) return 0;
  return Number(n.toPrecision(digits));
}

/**
 * Measures two contenders in alternating rounds (A, B, B, A, ...) so drift on a noisy
 * machine lands on both alike. Each gets the same warm-up first.
 */
export async function measurePair(options: {
  warmupRounds: number;
  rounds: number;
  subject(round: number): Promise<number[]>;
  floor(round: number): Promise<number[]>;
}): Promise<{ subject: number[]; floor: number[] }> {
  for (let i = 0; i < options.warmupRounds; i++) {
    await options.floor(-1 - i);
    await options.subject(-1 - i);
  }
  const subject: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    if (i % 2 === 0) {
      subject.push(...(await options.subject(i)));
      floor.push(...(await options.floor(i)));
    } else {
      floor.push(...(await options.floor(i)));
      subject.push(...(await options.subject(i)));
    }
  }
  return { subject, floor };
}

/** A result line from a subject's and a floor's samples: medians compared (or `center`), p99 of the subject. */
export function compare(
  fields: Pick<BenchResult, 'name' | 'unit' | 'workload' | 'rounds'> & { notes?: string; runtime?: BenchResult['runtime']; center?: BenchResult['center'] },
  subject: readonly number[],
  floor: readonly number[],
): BenchResult {
  const center = fields.center === 'trimmed mean' ? trimmedMean : median;
  const value = center(subject);
  const baseline = center(floor);
  return {
    name: fields.name,
    value: round(value),
    unit: fields.unit,
    baseline: round(baseline),
    ratio: round(ratioOf(value, baseline), 3),
    workload: fields.workload,
    median: round(median(subject)),
    p99: round(p99(subject)),
    rounds: fields.rounds,
    ...(fields.notes ? { notes: fields.notes } : {}),
    ...(fields.runtime ? { runtime: fields.runtime } : {}),
    ...(fields.center ? { center: fields.center } : {}),
  };
}

const progressStart = performance.now();

/** A progress line on stderr (the table goes to stdout), stamped with seconds since the run began. */
export function progress(message: string): void {
  process.stderr.write(`bench: [${((performance.now() - progressStart) / 1000).toFixed(1)} s] ${message}\n`);
}
