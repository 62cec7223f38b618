import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { Count, Limit } from './limits.js';
import { ContainerRef } from './operation.js';

/**
 * Archive transfers copy a named volume's data between containers on different
 * nodes through the server, as tar streams of Docker's archive API. The server pulls from
 * the source and pushes to the target one bounded chunk at a time, so neither the server
 * nor an agent ever holds a whole archive in memory.
 */
export const TransferId = z.string().regex(/^xfer_[A-Za-z0-9_-]{8,64}$/);

export const OpenArchiveInput = lazySchema(() =>
  z.strictObject({
    /** A managed container; it may be stopped or only created. */
    id: ContainerRef,
    /**
     * Where a named volume is mounted in that container, e.g. `/data`: transfers act on volumes
     * the agent owns, nothing else. A read is Docker's archive of that folder (its first entry
     * is the folder itself); a write takes such an archive and unpacks its contents into the
     * volume's root, refusing any entry that would land outside it.
     */
    path: z.string().startsWith('/').max(Limit.pathChars),
  }),
);

export const ArchiveTransfer = lazySchema(() => z.object({ transferId: TransferId }));

export const ReadArchiveInput = lazySchema(() =>
  z.strictObject({
    transferId: TransferId,
    /** Upper bound of the chunk returned. @default 1 MiB (bytes) */
    maxBytes: z.number().int().min(1024).max(8 * 1024 * 1024).default(1024 * 1024),
  }),
);

export const ArchiveChunk = lazySchema(() =>
  z.object({
    /** Base64 of the next bytes of the tar stream; empty when `done`. */
    data: z.string().max(Limit.archiveChunkChars),
    /** The stream has ended; the transfer is closed. */
    done: z.boolean(),
  }),
);

export const WriteArchiveInput = lazySchema(() =>
  z.strictObject({
    transferId: TransferId,
    /** Base64 of the next bytes of the tar stream. */
    data: z.string().max(Limit.archiveChunkChars),
    /** Last chunk: the agent finishes the extraction and answers once it is complete. */
    done: z.boolean().default(false),
  }),
);

export const WriteArchiveResult = lazySchema(() => z.object({ bytesWritten: Count }));

export const AbortArchiveInput = lazySchema(() => z.strictObject({ transferId: TransferId }));
