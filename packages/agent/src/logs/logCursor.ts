import { AgentError, type LogEntry } from '@lormas/protocol';
import type { StreamKind } from './demultiplex.js';
import { compareTimestamps, parseTimestamp } from './engineTime.js';

/** How far one stream was delivered: its last timestamp and how many entries carried it. */
export interface StreamPosition {
  timestamp: string;
  count: number;
}

/**
 * Where a log stream resumes: the event id of each chunk. Positions are kept per stream
 * because the engine timestamps stdout and stderr independently and the joined pieces of a
 * long line carry the time of the first: within one stream timestamps never go back, across
 * the two they may. `floor` is the earliest timestamp anything undelivered can carry.
 */
export interface LogCursor {
  floor: string;
  stdout: StreamPosition | null;
  stderr: StreamPosition | null;
}

const VERSION = 'l1';

export function encodeCursor(cursor: LogCursor): string {
  const part = (p: StreamPosition | null) => (p ? `${p.timestamp}|${p.count}` : '|');
  return `${VERSION}|${cursor.floor}|${part(cursor.stdout)}|${part(cursor.stderr)}`;
}

/** Reads an event id; one this agent did not write is refused with `BAD_INPUT`. */
export function decodeCursor(id: string): LogCursor {
  const [version, floor, outTs, outN, errTs, errN, ...rest] = id.split('|');
  const position = (ts: string | undefined, n: string | undefined): StreamPosition | null | undefined => {
    if (ts === '' && n === '') return null;
    if (ts === undefined || !parseTimestamp(ts) || !/^[1-9]\d{0,9}$/.test(n ?? '')) return undefined;
    return { timestamp: ts, count: Number(n) };
  };
  const stdout = position(outTs, outN);
  const stderr = position(errTs, errN);
  if (version !== VERSION || rest.length > 0 || !floor || !parseTimestamp(floor) || stdout === undefined || stderr === undefined) {
    throw new AgentError('BAD_INPUT', 'lastEventId is not a log position this agent issued', {
      issues: [{ code: 'invalid_format', path: ['lastEventId'], message: 'expected a log cursor' }],
    });
  }
  return { floor, stdout, stderr };
}

/** Follows what was delivered, to write each chunk's event id. */
export class CursorTracker {
  readonly #positions: Record<StreamKind, StreamPosition | null>;
  readonly #resumedFloor: string | null;

  constructor(resumedFrom: LogCursor | null) {
    this.#positions = { stdout: resumedFrom?.stdout ?? null, stderr: resumedFrom?.stderr ?? null };
    this.#resumedFloor = resumedFrom?.floor ?? null;
  }

  /** Called for every entry put in a chunk, in order. */
  record(entry: LogEntry): void {
    const position = this.#positions[entry.stream];
    if (position && position.timestamp === entry.timestamp) position.count += 1;
    else this.#positions[entry.stream] = { timestamp: entry.timestamp, count: 1 };
  }

  /**
   * The event id after everything recorded. `pending` holds, per stream, the timestamp of a
   * line received in part: a stream that delivered nothing yet resumes from there.
   */
  encode(pending: Record<StreamKind, string | null>): string {
    let floor: string | null = null;
    const lower = (ts: string | null) => {
      if (ts !== null && (floor === null || compareTimestamps(ts, floor) < 0)) floor = ts;
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const position = this.#positions[stream];
      lower(position ? position.timestamp : (this.#resumedFloor ?? pending[stream]));
    }
    if (floor === null) throw new Error('a cursor needs at least one delivered entry');
    return encodeCursor({ floor, stdout: this.#positions.stdout && { ...this.#positions.stdout }, stderr: this.#positions.stderr && { ...this.#positions.stderr } });
  }
}

/**
 * The filter a resumed stream applies to what the engine sends again from `floor` on: it
 * drops, per stream, everything up to and including the delivered position, and lets
 * everything after it through.
 */
export function resumeFilter(cursor: LogCursor): (entry: LogEntry) => boolean {
  const passed: Record<StreamKind, boolean> = { stdout: false, stderr: false };
  const seen: Record<StreamKind, number> = { stdout: 0, stderr: 0 };
  return (entry) => {
    if (passed[entry.stream]) return true;
    const position = cursor[entry.stream];
    const order = compareTimestamps(entry.timestamp, position ? position.timestamp : cursor.floor);
    if (order < 0) return false;
    if (position && order === 0) {
      seen[entry.stream] += 1;
      if (seen[entry.stream] <= position.count) return false;
    }
    passed[entry.stream] = true;
    return true;
  };
}
