/**
 * Milliseconds on a monotonic clock (since the process started): what the link's timers
 * measure windows with. Not `performance.now()`: importing `node:perf_hooks` loads Node's
 * performance-timeline modules, which the agent would carry for nothing (with `zlib`, `tty`
 * and `fs/promises`, 1.4 MiB of the idle agent's memory, issue 16). `process.uptime()` reads
 * the same monotonic clock (libuv's `uv_hrtime`), on Node and on Bun.
 */
export function monotonicMs(): number {
  return process.uptime() * 1_000;
}
