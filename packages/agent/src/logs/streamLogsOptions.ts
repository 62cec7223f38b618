/** Tuning of one log stream. Every limit bounds the agent's memory per stream. */
export interface StreamLogsOptions {
  /**
   * A chunk is sent once its entries reach about this size, or sooner when the engine has
   * nothing more buffered. @default 64 KiB (bytes)
   */
  maxChunkBytes?: number;
  /**
   * While the socket holds more than this, the engine stream is not read (the engine then
   * waits on TCP). @default 1 MiB (bytes)
   */
  highWaterMarkBytes?: number;
  /** A paused stream reads again once the socket holds no more than this. @default 256 KiB (bytes) */
  lowWaterMarkBytes?: number;
  /**
   * How long a partly filled chunk waits for more of the engine's output before it is sent:
   * the most a followed line is held back. @default 2 (milliseconds)
   */
  lingerMs?: number;
  /** How often a paused stream looks at the socket again. @default 5 (milliseconds) */
  drainPollMs?: number;
  /** A line longer than this is delivered as several entries. @default 1 MiB (bytes) */
  maxLineBytes?: number;
  /** Told when the stream pauses for backpressure and when it reads again, with the socket's buffered bytes. */
  onBackpressure?: (state: 'paused' | 'resumed', bufferedBytes: number) => void;
}

export type ResolvedStreamLogsOptions = Required<Omit<StreamLogsOptions, 'onBackpressure'>> & Pick<StreamLogsOptions, 'onBackpressure'>;

/** Applies defaults; a nonsensical value is a programmer's mistake and throws a `TypeError` naming it. */
export function resolveStreamLogsOptions(options: StreamLogsOptions): ResolvedStreamLogsOptions {
  const resolved = {
    maxChunkBytes: options.maxChunkBytes ?? 64 * 1024,
    highWaterMarkBytes: options.highWaterMarkBytes ?? 256 * 1024,
    lowWaterMarkBytes: options.lowWaterMarkBytes ?? Math.floor((options.highWaterMarkBytes ?? 256 * 1024) / 2),
    drainPollMs: options.drainPollMs ?? 5,
    lingerMs: options.lingerMs ?? 2,
    maxLineBytes: options.maxLineBytes ?? 1024 * 1024,
    onBackpressure: options.onBackpressure,
  };
  for (const key of ['maxChunkBytes', 'highWaterMarkBytes', 'drainPollMs', 'maxLineBytes'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] <= 0) throw new TypeError(`streamLogs: ${key} must be a positive integer, got ${resolved[key]}`);
  }
  if (!Number.isInteger(resolved.lingerMs) || resolved.lingerMs < 0) throw new TypeError(`streamLogs: lingerMs must be an integer of 0 or more, got ${resolved.lingerMs}`);
  if (!Number.isInteger(resolved.lowWaterMarkBytes) || resolved.lowWaterMarkBytes < 0 || resolved.lowWaterMarkBytes > resolved.highWaterMarkBytes) {
    throw new TypeError(`streamLogs: lowWaterMarkBytes must be an integer from 0 to highWaterMarkBytes, got ${resolved.lowWaterMarkBytes}`);
  }
  return resolved;
}
