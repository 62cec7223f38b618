export interface BackoffOptions {
  /** Ceiling of the first delay; it doubles with each failed attempt. @default 500 (milliseconds) */
  baseDelayMs: number;
  /** The ceiling never grows past this. @default 30_000 (milliseconds) */
  maxDelayMs: number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base * 2^attempt)).
 * Full jitter spreads a fleet's reconnects after a server restart instead of having every
 * agent knock at the same instants (see "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
