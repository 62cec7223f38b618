import { TRPCClientError, type TRPCLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { isTimerMs, MAX_TIMER_MS } from './timerMs.js';

export interface TimeoutLinkOptions {
  /** Deadline of each query and mutation, in milliseconds. Subscriptions have none. */
  timeoutMs: number;
  /** Names the agent in the error message. */
  describe: () => string;
}

/**
 * Gives every query and mutation a deadline. A call made while the agent is away waits for
 * it to dial back; without a deadline such a call could wait forever. A caller may set its
 * own with `context: { timeoutMs }`, or abort with a `signal`.
 */
export function timeoutLink<TRouter extends AnyRouter>(options: TimeoutLinkOptions): TRPCLink<TRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        const own = op.context['timeoutMs'];
        // A caller's deadline must be one a timer honours; NaN, a negative or a huge one would time out at once.
        if (op.type !== 'subscription' && own !== undefined && !isTimerMs(own)) {
          observer.error(new TRPCClientError<TRouter>(`context.timeoutMs must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${String(own)}`));
          return () => {};
        }
        const subscription = next(op).subscribe(observer);
        if (op.type === 'subscription') return () => subscription.unsubscribe();
        const timeoutMs = (own as number | undefined) ?? options.timeoutMs;
        const timer = setTimeout(() => {
          const error = new TRPCClientError<TRouter>(`${options.describe()} did not answer ${op.path} within ${timeoutMs} ms`, {
            result: { error: { message: 'timeout', code: -32008, data: { code: 'TIMEOUT', httpStatus: 408, lormas: { code: 'AGENT_TIMEOUT' } } } } as never,
          });
          observer.error(error);
          subscription.unsubscribe();
        }, timeoutMs);
        return () => {
          clearTimeout(timer);
          subscription.unsubscribe();
        };
      });
}
