import { TRPCClientError, type TRPCLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';

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
        const subscription = next(op).subscribe(observer);
        if (op.type === 'subscription') return () => subscription.unsubscribe();
        const timeoutMs = typeof op.context['timeoutMs'] === 'number' ? op.context['timeoutMs'] : options.timeoutMs;
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
