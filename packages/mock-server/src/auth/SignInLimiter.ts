export interface SignInLimiterOptions {
  /** Failed sign-ins one client address may make per window before it must wait. @default 5 (attempts) */
  maxFailures?: number;
  /** @default 60_000 (milliseconds) */
  windowMs?: number;
  /** Client addresses tracked at once; the longest-quiet is forgotten first. @default 10_000 (addresses) */
  maxTrackedAddresses?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Rate-limits failed sign-ins per client address: after `maxFailures` failures within
 * `windowMs`, further attempts are refused until the oldest failure leaves the window.
 * A guess of a 24-byte random token is hopeless anyway; this keeps a weak chosen
 * `ADMIN_TOKEN` from being guessed quickly, and bounds the work a flood of guesses costs.
 */
export class SignInLimiter {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private readonly failures = new Map<string, number[]>();

  constructor(options: SignInLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxTracked = options.maxTrackedAddresses ?? 10_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxFailures) || this.maxFailures < 1) throw new TypeError('SignInLimiter: options.maxFailures must be a whole number >= 1');
  }

  /** Milliseconds until `address` may try again; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const recent = this.recent(address);
    return recent.length < this.maxFailures ? 0 : recent[0]! + this.windowMs - this.now();
  }

  failed(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    // Re-inserted so the map's order is least recently failed first.
    this.failures.delete(address);
    this.failures.set(address, recent);
    if (this.failures.size > this.maxTracked) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(address) ?? []).filter((at) => at > since);
  }
}
