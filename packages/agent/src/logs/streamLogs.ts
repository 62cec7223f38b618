import { setImmediate as nextTurn } from 'node:timers/promises';
import { AgentError, type LogChunk, type LogEntry, type LogsInput } from '@lormas/protocol';
import type { StreamContext, Tracked } from '@lormas/protocol/agent';
import type { z } from 'zod';
import type { ContainerFacts, ContainerRuntime, RawLogsOptions } from '../docker/ContainerRuntime.js';
import { Demultiplexer } from './demultiplex.js';
import { sinceSecondsFor, toEngineSeconds } from './engineTime.js';
import { CursorTracker, decodeCursor, resumeFilter } from './logCursor.js';
import { LineSplitter } from './splitLines.js';
import { waitReadable } from '../streams/waitReadable.js';
import { resolveStreamLogsOptions, type StreamLogsOptions } from './streamLogsOptions.js';
import { countLogBytes } from './collectLogGarbage.js';

/** What an entry adds to a chunk besides its line: the JSON keys, stream and timestamp. */
const ENTRY_OVERHEAD_BYTES = 72;
/** Chunks shrink with the link's window down to this. */
const MIN_CHUNK_BYTES = 4 * 1024;

/**
 * A container's log as a resumable stream of chunks, each tracked with the position of its
 * last entry (see `logCursor.ts`). Reads the engine only as fast as the link drains, yields
 * to the event loop between chunks, and destroys the engine stream however it ends.
 */
export async function* streamLogs(
  runtime: ContainerRuntime,
  input: z.output<typeof LogsInput>,
  ctx: StreamContext,
  options: StreamLogsOptions = {},
  /** The container, when the caller has inspected it already; else it is inspected here. */
  known?: Pick<ContainerFacts, 'id' | 'tty' | 'running' | 'startedAt'>,
): AsyncGenerator<Tracked<LogChunk>, void, undefined> {
  const config = resolveStreamLogsOptions(options);
  const { signal, link } = ctx;
  const cursor = input.lastEventId ? decodeCursor(input.lastEventId) : null;
  if (!input.stdout && !input.stderr) throw new AgentError('BAD_INPUT', 'choose stdout, stderr or both');
  if (signal.aborted) return;
  const container = known ?? (await runtime.labelsOf(input.id));
  const { id, tty } = container;
  const raw = engineOptions(input, cursor === null ? null : sinceSecondsFor(cursor.floor));
  const stream = await runtime.logs(id, raw);
  // Errors are read from `stream.errored` where it matters; an unheard one would crash the agent.
  stream.on('error', () => {});
  const destroy = () => stream.destroy();
  signal.addEventListener('abort', destroy, { once: true });
  /** The position after the last entry sent. */
  let lastId = input.lastEventId;
  /** Whether the log is read once more, without follow, from the last position sent (see below). */
  let reread = false;
  /** After a follow: the chunk of what was received of a line cut short, if any. */
  let unfinished: (() => Tracked<LogChunk> | null) | null = null;
  try {
    if (signal.aborted) return;
    let batch: LogEntry[] = [];
    let batchBytes = 0;
    const keep = cursor ? resumeFilter(cursor) : () => true;
    const tracker = new CursorTracker(cursor);
    // Chunks closed while a slice of engine bytes (maxChunkBytes) is parsed: a few, as chunks close at chunkLimit().
    const ready: Tracked<LogChunk>[] = [];
    const onEntry = (entry: LogEntry) => {
      if (!keep(entry)) return;
      batch.push(entry);
      tracker.record(entry);
      batchBytes += entry.line.length + ENTRY_OVERHEAD_BYTES;
      if (batchBytes >= chunkLimit()) ready.push(take());
    };
    // Two chunks to the link's window: one on its way while the next is sent.
    const chunkLimit = () => Math.min(config.maxChunkBytes, Math.max(MIN_CHUNK_BYTES, link.windowBytes() >> 1));
    const maxLineBytes = config.maxLineBytes;
    const splitters = {
      stdout: new LineSplitter({ stream: 'stdout', tty, maxLineBytes, onEntry }),
      stderr: new LineSplitter({ stream: 'stderr', tty, maxLineBytes, onEntry }),
    };
    const demux = tty ? null : new Demultiplexer((kind, bytes, frameEnd) => splitters[kind].pushFrame(bytes, frameEnd));
    const take = (): Tracked<LogChunk> => {
      const chunk = {
        id: tracker.encode({ stdout: splitters.stdout.pendingTimestamp, stderr: splitters.stderr.pendingTimestamp }),
        data: { entries: batch },
      };
      batch = [];
      batchBytes = 0;
      return chunk;
    };
    // Before each chunk: let timers and control traffic run, then wait for room in the link's window.
    const pace = async () => {
      await nextTurn();
      if (!link.full()) return;
      config.onBackpressure?.('paused', link.bufferedAmount());
      await link.writable(signal);
      config.onBackpressure?.('resumed', link.bufferedAmount());
    };

    for (;;) {
      if (signal.aborted) return;
      const data = stream.read() as Buffer | string | null;
      if (data === null) {
        // The engine has nothing buffered. A partly filled chunk waits a moment for more (a flood
        // then travels in full chunks), and goes out when nothing came: a quiet log is not delayed.
        const lingering = batch.length > 0;
        const state = await readOrFail(stream, signal, lingering ? config.lingerMs : undefined);
        if (state === 'readable') continue;
        if (lingering) {
          await pace();
          if (signal.aborted) return;
          const chunk = take();
          lastId = chunk.id;
          yield chunk;
        }
        if (state === 'end') break;
        continue;
      }
      const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
      countLogBytes(bytes.length);
      for (let offset = 0; offset < bytes.length; offset += config.maxChunkBytes) {
        const slice = bytes.subarray(offset, offset + config.maxChunkBytes);
        if (demux) demux.push(slice);
        else splitters.stdout.pushRaw(slice);
        while (ready.length > 0) {
          await pace();
          if (signal.aborted) return;
          const chunk = ready.shift()!;
          lastId = chunk.id;
          yield chunk;
        }
      }
    }
    if (signal.aborted) return;
    reread = input.follow && (container.running || (await startedSince(runtime, container)));
    if (signal.aborted) return;
    const endLines = () => {
      splitters.stdout.end();
      splitters.stderr.end();
    };
    // After a follow a line cut short is held back: the read that follows delivers it whole.
    if (reread) {
      unfinished = () => {
        endLines();
        return batch.length > 0 ? take() : null;
      };
    } else endLines();
    if (batch.length > 0) ready.push(take());
    for (const chunk of ready) {
      await pace();
      if (signal.aborted) return;
      lastId = chunk.id;
      yield chunk;
    }
  } finally {
    signal.removeEventListener('abort', destroy);
    stream.destroy();
  }
  // The engine can end a follow before the end of the log: json-file drops what a slow reader
  // had not reached when the container exits (seen on Docker 20.10). A plain read from the
  // last position sent delivers what is left, or nothing. A container removed meanwhile
  // (NOT_FOUND, or CONFLICT while the engine removes it) has nothing more to read: what was
  // received of a line cut short is then all there is. A container that was not running when
  // the follow began, and has not started since, was read whole (the engine follows only a
  // running container's log), and is not read again: with `since`, the engine decodes the
  // whole log file to find the place.
  if (!reread || signal.aborted) return;
  let delivered = false;
  try {
    for await (const chunk of streamLogs(runtime, { ...input, follow: false, lastEventId: lastId }, ctx, options, { ...container, running: false })) {
      delivered = true;
      yield chunk;
    }
  } catch (error) {
    if (!(error instanceof AgentError && (error.code === 'NOT_FOUND' || error.code === 'CONFLICT')) || delivered) throw error;
    const tail = unfinished?.();
    if (tail) yield tail;
  }
}

/**
 * Whether `container`, not running when its log was asked for, has started since: the engine
 * decides whether to follow when the logs call reaches it, after the inspect. One inspect
 * more is cheap next to reading the log again. A container gone meanwhile has not.
 */
async function startedSince(runtime: ContainerRuntime, container: Pick<ContainerFacts, 'id' | 'startedAt'>): Promise<boolean> {
  try {
    const now = await runtime.labelsOf(container.id);
    return now.running || now.startedAt !== container.startedAt;
  } catch (error) {
    if (error instanceof AgentError && (error.code === 'NOT_FOUND' || error.code === 'CONFLICT')) return false;
    throw error;
  }
}

function engineOptions(input: z.output<typeof LogsInput>, resumeSince: number | null): RawLogsOptions {
  const raw: RawLogsOptions = { follow: input.follow, stdout: input.stdout, stderr: input.stderr };
  try {
    // A resumed stream starts at its cursor; `tail` counted from the end of the log then no longer applies.
    if (resumeSince !== null) raw.since = resumeSince;
    else {
      if (input.tail !== undefined) raw.tail = input.tail;
      if (input.since !== undefined) raw.since = toEngineSeconds(input.since);
    }
    if (input.until !== undefined) raw.until = toEngineSeconds(input.until);
  } catch (error) {
    throw new AgentError('BAD_INPUT', (error as Error).message, { cause: error });
  }
  return raw;
}

async function readOrFail(stream: Parameters<typeof waitReadable>[0], signal: AbortSignal, timeoutMs: number | undefined) {
  try {
    return await waitReadable(stream, timeoutMs);
  } catch (error) {
    if (signal.aborted) return 'end';
    throw new AgentError('ENGINE_ERROR', `the engine's log stream failed: ${(error as Error).message}`, { cause: error });
  }
}
