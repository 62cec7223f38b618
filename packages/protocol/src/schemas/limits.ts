import * as z from 'zod';

/**
 * Bounds of the values that cross the link. An agent's values reach the server's store, its
 * logs and an operator's page; a server's values reach the engine. Every string, array and
 * count in a schema is bounded by one of these, so a peer cannot make the other hold (or
 * show) a megabyte where a name belongs. Frames as a whole are bounded by `maxPayloadBytes`.
 */
export const Limit = {
  /** Ids and references: container ids and names, operation and server ids, event ids. */
  idChars: 256,
  /** Names people read: node names, image references, volume names. */
  nameChars: 1_024,
  /** Versions and short tokens: `1.0`, `20.10.24`, a status word. */
  shortChars: 128,
  /** Messages and status texts from the engine or the agent. */
  messageChars: 4_096,
  /** Paths on a host or in a container. */
  pathChars: 4_096,
  /** One argument, environment value or label value of a container. */
  valueChars: 65_536,
  /** Arguments of a command, entries of an environment or of a label set, mounts. */
  listItems: 4_096,
  /** Containers in one listing or inventory. */
  containers: 100_000,
  /** One log line, after the agent joins the engine's 16 KiB pieces again. */
  logLineChars: 1_048_576,
  /** Entries in one log chunk. */
  logEntries: 100_000,
  /** Base64 characters of one archive chunk: 8 MiB of data. */
  archiveChunkChars: Math.ceil((8 * 1024 * 1024) / 3) * 4,
  /** Validation issues in one error. */
  issues: 1_000,
} as const;

/** An id or reference as an agent reports it. */
export const BoundedId = z.string().max(Limit.idChars);
/** A name people read. */
export const BoundedName = z.string().max(Limit.nameChars);
/** A version or a status word. */
export const BoundedShort = z.string().max(Limit.shortChars);
/** A message or status text. */
export const BoundedMessage = z.string().max(Limit.messageChars);
/**
 * The last millisecond of the year 9999, epoch milliseconds: the latest time an RFC 3339
 * date-time can write (later ones need ISO 8601's expanded years, which most parsers refuse).
 */
export const MAX_EPOCH_MS = 253_402_300_799_999;
/** A point in time, epoch milliseconds: one a server can show as an RFC 3339 date-time. */
export const EpochMs = z.number().min(0).max(MAX_EPOCH_MS);
/** A count or a size in bytes. */
export const Count = z.number().min(0).max(Number.MAX_SAFE_INTEGER);
