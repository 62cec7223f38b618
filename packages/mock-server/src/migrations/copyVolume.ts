import { AgentError } from '@lormas/protocol';
import type { AgentClient } from '@lormas/protocol/server';

export interface CopyVolumeOptions {
  source: AgentClient;
  target: AgentClient;
  /** Docker id of the stopped source copy. */
  sourceContainer: string;
  /** Docker id of the created, not yet started, target copy. */
  targetContainer: string;
  /** Where the volume is mounted in both copies, e.g. `/data`. */
  mountTarget: string;
  /** Upper bound of each chunk held in memory. @default 1 MiB (bytes) */
  chunkBytes?: number;
}

/**
 * Streams one volume's data from the source copy to the target copy through the agents'
 * archive transfers: one bounded chunk read, then written, at a time, so neither the server
 * nor an agent holds the whole archive. Both ends name the volume's mount point: the target
 * agent unpacks the archive's folder into its volume's root, judging every entry. Returns
 * the bytes copied; on failure both transfers are aborted.
 */
export async function copyVolume(options: CopyVolumeOptions): Promise<number> {
  const { source, target } = options;
  const { transferId: readId } = await source.archives.openRead.mutate({ id: options.sourceContainer, path: options.mountTarget });
  let writeId: string | null = null;
  let bytes = 0;
  try {
    ({ transferId: writeId } = await target.archives.openWrite.mutate({ id: options.targetContainer, path: options.mountTarget }));
    for (;;) {
      const chunk = await source.archives.read.mutate({ transferId: readId, maxBytes: options.chunkBytes ?? 1024 * 1024 });
      bytes += Buffer.byteLength(chunk.data, 'base64');
      await target.archives.write.mutate({ transferId: writeId, data: chunk.data, done: chunk.done });
      if (chunk.done) return bytes;
    }
  } catch (error) {
    await Promise.allSettled([source.archives.abort.mutate({ transferId: readId }), writeId && target.archives.abort.mutate({ transferId: writeId })]);
    throw AgentError.from(error);
  }
}
