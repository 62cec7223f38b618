import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { Limit } from './limits.js';
import { ContainerRef } from './operation.js';

export const LogStream = z.enum(['stdout', 'stderr']);
export type LogStream = z.infer<typeof LogStream>;

/** One line of a container's output. */
export const LogEntry = lazySchema(() =>
  z.object({
    /** `stdout` or `stderr`; a TTY container writes everything to `stdout`. */
    stream: LogStream,
    /** The engine's timestamp, RFC 3339 with nanoseconds. */
    timestamp: z.string().max(64),
    /** The line without its trailing newline. */
    line: z.string().max(Limit.logLineChars),
  }),
);
export type LogEntry = z.infer<typeof LogEntry>;

/**
 * A run of consecutive entries. Streams are sent in chunks so that per-message cost does
 * not bound throughput; the chunk's tracked event id names its last entry.
 */
export const LogChunk = lazySchema(() => z.object({ entries: z.array(builtSchema(LogEntry)).max(Limit.logEntries) }));
export type LogChunk = z.infer<typeof LogChunk>;

const timestamp = z.union([z.number().min(0).max(Number.MAX_SAFE_INTEGER), z.string().datetime({ offset: true })]);

export const LogsInput = lazySchema(() =>
  z.strictObject({
    id: ContainerRef,
    /** Keep the stream open and deliver new lines as they are written. */
    follow: z.boolean().default(false),
    /** Only the last N lines (before following). */
    tail: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    /** Lines at or after this time: epoch seconds, or an RFC 3339 date. */
    since: timestamp.optional(),
    /** Lines before this time: epoch seconds, or an RFC 3339 date. */
    until: timestamp.optional(),
    stdout: z.boolean().default(true),
    stderr: z.boolean().default(true),
    /** Set when a stream resumes: the stream continues after that entry. */
    lastEventId: z.string().max(Limit.idChars).nullish(),
  }),
);
export type LogsInput = z.input<typeof LogsInput>;
