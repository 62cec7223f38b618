export interface RetryBackoff {
  /** Delay before the second attempt. @default 1_000 (milliseconds) */
  baseMs: number;
  /** Largest delay. @default 30_000 (milliseconds) */
  maxMs: number;
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failed ones: doubling from `baseMs`,
 * capped at `maxMs`. No jitter: the server is the one retrier, there is no herd to spread.
 */
export function retryDelayMs(attempt: number, backoff: RetryBackoff): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
}
