import type { OperationEvent } from '@lormas/protocol';
import type { AgentClient } from '@lormas/protocol/server';

export interface RunWatchedOptions<T> {
  client: AgentClient;
  operationId: string;
  /** Receives each progress event of the operation. */
  onEvent: (event: OperationEvent) => void;
  /** Sends the command itself. */
  run: () => Promise<T>;
  /**
   * After the command settled, how long to wait for the operation's closing event before
   * ending the watch; events can trail the command's answer on the wire.
   * @default 2_000 (milliseconds)
   */
  settleMs?: number;
}

const FINAL: ReadonlySet<OperationEvent['type']> = new Set(['succeeded', 'failed']);

/**
 * Runs an agent command while watching its operation. The watch is opened first, so no
 * event of the operation can be missed; it ends with the operation's closing event.
 */
export async function runWatched<T>(options: RunWatchedOptions<T>): Promise<T> {
  let finished!: () => void;
  const finalSeen = new Promise<void>((resolve) => (finished = resolve));
  const watch = options.client.operations.watch.subscribe(
    { operationId: options.operationId },
    {
      onData: ({ data }) => {
        options.onEvent(data);
        if (FINAL.has(data.type)) finished();
      },
      onError: () => finished(),
      onComplete: () => finished(),
    },
  );
  try {
    const result = await options.run();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finalSeen, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.settleMs ?? 2_000)))]);
    clearTimeout(timer);
    return result;
  } finally {
    watch.unsubscribe();
  }
}
