/** Log bytes read from the engine between two collections asked of Bun. */
export const LOG_BYTES_PER_COLLECTION = 8 * 1024 * 1024;

/**
 * A counter of log bytes read from the engine, by every stream, that calls `collect` after
 * each `everyBytes`; a no-op where there is no `collect`.
 */
export function logGarbageCollector(collect: (() => void) | undefined, everyBytes = LOG_BYTES_PER_COLLECTION): (bytes: number) => void {
  if (!collect) return () => {};
  let sinceCollection = 0;
  return (bytes) => {
    sinceCollection += bytes;
    if (sinceCollection < everyBytes) return;
    sinceCollection = 0;
    collect();
  };
}

const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;

/**
 * On Bun, a full collection after each 8 MiB of log read; nothing on Node.
 *
 * Each byte of log passes through the agent as engine reads, lines, entries, chunks and
 * frames, all garbage once sent; behind a slow reader they live long enough to leave the young
 * generation. JavaScriptCore let that garbage reach about 20 MiB of heap and as much again of
 * strings and buffers before collecting it: ten floods to a slow reader peaked at +43 to +45 MiB
 * over idle; with this, +27 (`pnpm bench --only=4`). A collection Bun only schedules
 * (`Bun.gc(false)`) gave +42. A full collection of the agent's heap takes a few milliseconds,
 * about once in two seconds at the floods' full speed. On Node `--heap-growing-percent` (see
 * `limitRuntimeMemory.ts`) does this job; Bun has no such option.
 */
export const countLogBytes = logGarbageCollector(bun && (() => bun.gc(true)));
