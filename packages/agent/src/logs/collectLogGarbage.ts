/** Log bytes read from the engine between two collections asked of Bun. */
export const LOG_BYTES_PER_COLLECTION = 8 * 1024 * 1024;

/** The longest a slow flood's garbage waits for a collection, once it is `LOG_BYTES_PER_SLOW_COLLECTION` or more. */
export const LOG_COLLECTION_MAX_INTERVAL_MS = 2_000;

/** The least log read since the last collection that the interval above collects. */
export const LOG_BYTES_PER_SLOW_COLLECTION = 1024 * 1024;

export interface LogGarbageOptions {
  /** @default LOG_BYTES_PER_COLLECTION */
  everyBytes?: number;
  /** @default LOG_COLLECTION_MAX_INTERVAL_MS */
  maxIntervalMs?: number;
  /** @default LOG_BYTES_PER_SLOW_COLLECTION */
  slowBytes?: number;
  /** A monotonic clock in milliseconds. @default process.uptime() * 1000 */
  now?: () => number;
}

/**
 * A counter of log bytes read from the engine, by every stream, that calls `collect` after
 * each `everyBytes`, or once `slowBytes` have been read and `maxIntervalMs` have passed since
 * the last collection; a no-op where there is no `collect`. It runs on the reads themselves:
 * no timer, nothing at all while no log flows.
 */
export function logGarbageCollector(collect: (() => void) | undefined, options: LogGarbageOptions = {}): (bytes: number) => void {
  if (!collect) return () => {};
  const { everyBytes = LOG_BYTES_PER_COLLECTION, maxIntervalMs = LOG_COLLECTION_MAX_INTERVAL_MS, slowBytes = LOG_BYTES_PER_SLOW_COLLECTION, now = () => process.uptime() * 1_000 } = options;
  let sinceCollection = 0;
  let collectedAt = now();
  return (bytes) => {
    sinceCollection += bytes;
    if (sinceCollection < everyBytes && (sinceCollection < slowBytes || now() - collectedAt < maxIntervalMs)) return;
    sinceCollection = 0;
    collectedAt = now();
    collect();
  };
}

const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;

/**
 * On Bun, a full collection after each 8 MiB of log read, and at least every 2 s while a flood
 * reads 1 MiB or more between them; nothing on Node.
 *
 * Each byte of log passes through the agent as engine reads, lines, entries, chunks and
 * frames, all garbage once sent; behind a slow reader they live long enough to leave the young
 * generation. JavaScriptCore let that garbage reach about 20 MiB of heap and as much again of
 * strings and buffers before collecting it: ten floods to a slow reader peaked at +43 to +45 MiB
 * over idle; after each 8 MiB, +27 to +34 (`pnpm bench --only=4`). A collection Bun only
 * schedules (`Bun.gc(false)`) gave +42. Collecting after each 2 MiB instead held the peak
 * lower, but at full speed it cost a third of the log throughput (0.67 and 0.72 of the engine's
 * rate against 1.13 and 0.90): so the bytes keep their 8 MiB, and the interval serves the slow
 * floods, which read 1 MiB a second and waited 8 s for a collection. A full collection of the
 * agent's heap takes a few milliseconds. On Node `--heap-growing-percent` (see
 * `limitRuntimeMemory.ts`) does this job; Bun has no such option.
 */
export const countLogBytes = logGarbageCollector(bun && (() => bun.gc(true)));
