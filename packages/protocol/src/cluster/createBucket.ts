import type { KV, KvOptions } from '@nats-io/kv';

/** JetStream's API error code for a stream whose subjects overlap an existing stream's. */
export const SUBJECTS_OVERLAP = 10065;

/** The part of `Kvm` a bucket's creation uses. */
export interface BucketMaker {
  create(name: string, options: Partial<KvOptions>): Promise<KV>;
}

/**
 * Creates the bucket `name`, or opens it when it exists. Replicas starting at once create the
 * same buckets at once, and nats-server may refuse the later of two creates of one stream as
 * overlapping the stream the earlier one is making (`SUBJECTS_OVERLAP`); by then the bucket
 * exists, and a create a moment later opens it. Tried `attempts` times in all, 50 ms more
 * apart each time; any other error is thrown at once.
 */
export async function createBucket(maker: BucketMaker, name: string, options: Partial<KvOptions>, attempts = 4): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await maker.create(name, options);
    } catch (error) {
      if (attempt >= attempts || (error as { code?: unknown } | null)?.code !== SUBJECTS_OVERLAP) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
