/** Tuning of one log stream. Every limit bounds the agent's memory per stream. */
export interface StreamLogsOptions {
  /**
   * A chunk is sent once its entries reach about this size, or sooner when the engine has
   * nothing more buffered. @default 64 KiB (bytes)
   */
  maxChunkBytes?: number;
  /**
   * How long a partly filled chunk waits for more of the engine's output before it is sent:
   * the most a followed line is held back. @default 2 (milliseconds)
   */
  lingerMs?: number;
  /** A line longer than this is delivered as several entries. @default 1 MiB (bytes) */
  maxLineBytes?: number;
  /** Told when the stream waits for room in the link's window and when it goes on, with the link's unread bytes. */
  onBackpressure?: (state: 'paused' | 'resumed', bufferedBytes: number) => void;
}

export type ResolvedStreamLogsOptions = Required<Omit<StreamLogsOptions, 'onBackpressure'>> & Pick<StreamLogsOptions, 'onBackpressure'>;

/** Applies defaults; a nonsensical value is a programmer's mistake and throws a `TypeError` naming it. */
export function resolveStreamLogsOptions(options: StreamLogsOptions): ResolvedStreamLogsOptions {
  const resolved = {
    maxChunkBytes: options.maxChunkBytes ?? 64 * 1024,
    lingerMs: options.lingerMs ?? 2,
    maxLineBytes: options.maxLineBytes ?? 1024 * 1024,
    onBackpressure: options.onBackpressure,
  };
  for (const key of ['maxChunkBytes', 'maxLineBytes'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] <= 0) throw new TypeError(`streamLogs: ${key} must be a positive integer, got ${resolved[key]}`);
  }
  if (!Number.isInteger(resolved.lingerMs) || resolved.lingerMs < 0) throw new TypeError(`streamLogs: lingerMs must be an integer of 0 or more, got ${resolved.lingerMs}`);
  return resolved;
}
