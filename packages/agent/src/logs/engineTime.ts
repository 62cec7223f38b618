const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/** A point in time to the nanosecond, which a JavaScript number cannot hold. */
export interface PreciseTime {
  /** Whole seconds since the epoch. */
  seconds: number;
  /** 0..999_999_999 */
  nanos: number;
}

/** Parses an RFC 3339 date with up to nine fraction digits; null when it is not one. */
export function parseTimestamp(value: string): PreciseTime | null {
  const match = RFC3339.exec(value);
  if (!match) return null;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return null;
  return { seconds: ms / 1000, nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}

/**
 * Orders two engine timestamps. The engine writes them fixed-width (`RFC3339NanoFixed`, UTC),
 * so equal lengths compare as strings; anything else is compared by value.
 */
export function compareTimestamps(a: string, b: string): number {
  if (a.length === b.length && a.endsWith('Z') && b.endsWith('Z')) return a < b ? -1 : a > b ? 1 : 0;
  const x = parseTimestamp(a);
  const y = parseTimestamp(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  return x.seconds - y.seconds || x.nanos - y.nanos;
}

/**
 * Epoch seconds to hand the engine as `since` for a stream that must include `timestamp`.
 * A number keeps only about a microsecond of an epoch time, so this rounds down to the
 * microsecond and steps one more back: the engine may return a little more, which the
 * resume filter drops exactly, but never less.
 */
export function sinceSecondsFor(timestamp: string): number {
  const time = parseTimestamp(timestamp);
  if (!time) throw new TypeError(`not an RFC 3339 timestamp: ${timestamp}`);
  return time.seconds + (Math.floor(time.nanos / 1000) - 1) / 1e6;
}

/** `since`/`until` from the wire (epoch seconds or RFC 3339) as the engine's epoch seconds. */
export function toEngineSeconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const time = parseTimestamp(value);
  if (!time) throw new TypeError(`not an RFC 3339 timestamp: ${value}`);
  return time.seconds + time.nanos / 1e9;
}
