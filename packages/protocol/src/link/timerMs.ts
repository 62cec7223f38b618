/** The longest delay a Node timer keeps; above it (or for NaN, 0, a negative) it fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether `value` is a delay a timer honours: a number of milliseconds in (0, MAX_TIMER_MS]. */
export function isTimerMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_TIMER_MS;
}

/** `value`, or a TypeError naming `what` when a timer would not honour it. */
export function timerMs(what: string, value: number): number {
  if (!isTimerMs(value)) throw new TypeError(`${what} must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${value}`);
  return value;
}
