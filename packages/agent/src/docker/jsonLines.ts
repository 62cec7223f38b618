import type { Readable } from 'node:stream';

/**
 * The JSON objects of a newline-delimited stream (the engine's pull progress and event
 * streams), one at a time, holding at most one partial line in memory. A line that is
 * not JSON is skipped rather than ending the stream: the engine never sends one, and a
 * proxy's stray line should not break a long-lived event watch.
 */
export async function* jsonLines(stream: Readable): AsyncGenerator<unknown> {
  let pending = '';
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      const parsed = parseLine(line);
      if (parsed !== undefined) yield parsed;
    }
  }
  const last = parseLine(pending.trim());
  if (last !== undefined) yield last;
}

function parseLine(line: string): unknown {
  if (line === '') return undefined;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
