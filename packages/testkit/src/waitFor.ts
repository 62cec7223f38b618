/** Thrown when a wait expires; says what was awaited. */
export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

export interface WaitOptions {
  /** @default 10_000 (milliseconds) */
  timeoutMs?: number;
  /** How often `predicate` is asked again. @default 20 (milliseconds) */
  intervalMs?: number;
  /** Named in the error when the wait expires; a function is asked then, for what is known only at the end (a process's output). */
  what?: string | (() => string);
}

/**
 * Resolves with the first truthy value of `predicate`, asked until the wait expires.
 * Tests wait for a state, with an expiry, instead of sleeping for a guessed time.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 20, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`, lastError ? { cause: lastError } : undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves with the arguments of the next `event` emitted by `emitter`, or rejects when the wait expires. */
export function nextEvent<A extends unknown[]>(
  emitter: { once(event: string, listener: (...args: A) => void): unknown; off(event: string, listener: (...args: A) => void): unknown },
  event: string,
  timeoutMs = 10_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const listener = (...args: A) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new WaitTimeout(`timed out after ${timeoutMs} ms waiting for event "${event}"`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}
