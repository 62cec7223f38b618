import type { KV, KvWatchEntry } from '@nats-io/kv';

export interface BucketWatch {
  /** Resolves once the bucket's current entries were handed over (or it was empty). */
  ready: Promise<void>;
  stop(): void;
}

/**
 * Hands every entry of a KV bucket to `apply`: first the current value of each key, then
 * each change as it is written. The engine's watcher is an ordered consumer, which follows
 * reconnects itself; should it end anyway (the engine restarted and lost the consumer), the
 * watch starts again from the revision after the last one applied, so nothing is skipped.
 */
export function watchBucket(kv: KV, apply: (entry: KvWatchEntry) => void, onError: (error: unknown) => void, retryMs = 500): BucketWatch {
  let stopped = false;
  let lastRevision = 0;
  let current: { stop(): void } | null = null;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const run = async () => {
    while (!stopped) {
      try {
        const empty = lastRevision === 0 && (await kv.status()).values === 0;
        if (empty) markReady();
        const iterator = await kv.watch(lastRevision > 0 ? { resumeFromRevision: lastRevision + 1 } : {});
        current = iterator;
        if (stopped) iterator.stop();
        for await (const entry of iterator) {
          if (entry.revision <= lastRevision) continue;
          lastRevision = entry.revision;
          apply(entry);
          // `delta` counts what the engine still had to send when this entry left it.
          if (entry.delta === 0 || entry.isUpdate) markReady();
        }
      } catch (error) {
        if (!stopped) onError(error);
      }
      current = null;
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
    }
  };
  void run();
  return {
    ready,
    stop() {
      stopped = true;
      current?.stop();
      markReady();
    },
  };
}
