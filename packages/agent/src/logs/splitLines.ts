import type { LogEntry } from '@lormas/protocol';
import type { StreamKind } from './demultiplex.js';

/**
 * The logging drivers' copier (json-file, local, journald) cuts a line longer than this
 * into partial messages of exactly this many bytes, each stored with the timestamp of the
 * first. Measured on engine 20.10 (json-file, timestamps on): the logs API returns every
 * piece as a message of its own, `<same timestamp> <16384 bytes>` without a newline, the
 * last piece ending in the newline; a non-TTY stream puts each piece in its own frame, a
 * TTY stream just concatenates them, so there this size is the only mark of a piece's end.
 * Other streams' lines may come between the pieces.
 * @see https://github.com/moby/moby/blob/v20.10.24/daemon/logger/copier.go
 */
export const DRIVER_PIECE_BYTES = 16 * 1024;

const SPACE = 0x20;
const LF = 0x0a;
const CR = 0x0d;

export interface LineSplitterOptions {
  stream: StreamKind;
  /** A TTY container's output: unframed, lines end with `\r\n`. */
  tty: boolean;
  /**
   * A line longer than this is delivered as several entries, so one endless line cannot
   * hold unbounded memory. @default 1 MiB (bytes)
   */
  maxLineBytes?: number;
  onEntry: (entry: LogEntry) => void;
}

/**
 * Turns one stream's log messages (`<RFC3339Nano timestamp> <content>`, as the engine sends
 * them with timestamps on) into entries of whole lines. Messages arrive as frame pieces
 * (`pushFrame`, non-TTY) or as raw bytes (`pushRaw`, TTY); partial messages of one long
 * line are joined, byte-wise so a character cut between pieces survives, under the
 * timestamp of the first piece.
 */
export class LineSplitter {
  readonly #stream: StreamKind;
  readonly #tty: boolean;
  readonly #maxLineBytes: number;
  readonly #onEntry: (entry: LogEntry) => void;
  /** Timestamp of the message being read; null while its timestamp is still incomplete. */
  #ts: string | null = null;
  #tsPrefix = '';
  #messageParts: Buffer[] = [];
  #messageBytes = 0;
  /** Partial messages of the line being joined. */
  #lineTs: string | null = null;
  #lineParts: Buffer[] = [];
  #lineBytes = 0;

  constructor(options: LineSplitterOptions) {
    this.#stream = options.stream;
    this.#tty = options.tty;
    this.#maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
    this.#onEntry = options.onEntry;
  }

  /** The timestamp of a line received in part and not yet delivered, if any. */
  get pendingTimestamp(): string | null {
    return this.#lineTs ?? this.#ts;
  }

  /** A piece of one frame of a multiplexed stream; `frameEnd` closes the message. */
  pushFrame(bytes: Buffer, frameEnd: boolean): void {
    if (this.#ts === null) {
      bytes = this.#readTimestamp(bytes);
      if (this.#ts === null) {
        if (frameEnd) this.#tsPrefix = '';
        return;
      }
    }
    if (!frameEnd) {
      this.#messageParts.push(Buffer.from(bytes));
      return;
    }
    this.#finishMessage(bytes);
  }

  /** Bytes of a TTY stream: a message ends at a newline or after a full driver piece. */
  pushRaw(bytes: Buffer): void {
    while (bytes.length > 0) {
      if (this.#ts === null) {
        bytes = this.#readTimestamp(bytes);
        if (this.#ts === null) return;
      }
      const room = DRIVER_PIECE_BYTES - this.#messageBytes;
      const window = bytes.length > room ? bytes.subarray(0, room) : bytes;
      const newline = window.indexOf(LF);
      if (newline >= 0) {
        this.#finishMessage(window.subarray(0, newline + 1));
        bytes = bytes.subarray(newline + 1);
      } else if (window.length === room) {
        this.#finishMessage(window);
        bytes = bytes.subarray(room);
      } else {
        this.#messageParts.push(Buffer.from(window));
        this.#messageBytes += window.length;
        return;
      }
    }
  }

  /** The stream ended: whatever was received of an unfinished line is delivered. */
  end(): void {
    if (this.#ts !== null && (this.#messageParts.length > 0 || this.#lineParts.length > 0)) this.#finishMessage(EMPTY);
    if (this.#lineParts.length > 0) this.#emitLine(false);
    this.#ts = null;
    this.#tsPrefix = '';
  }

  #readTimestamp(bytes: Buffer): Buffer {
    const space = bytes.indexOf(SPACE);
    if (space < 0) {
      this.#tsPrefix += bytes.toString('latin1');
      return EMPTY;
    }
    this.#ts = this.#tsPrefix + bytes.toString('latin1', 0, space);
    this.#tsPrefix = '';
    return bytes.subarray(space + 1);
  }

  /** Ends the current message with `last`, its final bytes. */
  #finishMessage(last: Buffer): void {
    const ts = this.#ts!;
    const content = this.#messageParts.length === 0 ? last : Buffer.concat([...this.#messageParts, last]);
    this.#ts = null;
    this.#messageParts = [];
    this.#messageBytes = 0;
    const complete = content.length > 0 && content[content.length - 1] === LF;
    if (complete && this.#lineParts.length === 0) {
      this.#emit(ts, content, content.length - 1, true);
      return;
    }
    if (this.#lineParts.length === 0) this.#lineTs = ts;
    this.#lineParts.push(content === last ? Buffer.from(content) : content);
    this.#lineBytes += content.length;
    if (complete) this.#emitLine(true);
    else if (this.#lineBytes >= this.#maxLineBytes) this.#emitLine(false);
  }

  #emitLine(complete: boolean): void {
    const joined = Buffer.concat(this.#lineParts);
    const ts = this.#lineTs!;
    this.#lineParts = [];
    this.#lineBytes = 0;
    this.#lineTs = null;
    this.#emit(ts, joined, complete ? joined.length - 1 : joined.length, complete);
  }

  #emit(timestamp: string, bytes: Buffer, end: number, complete: boolean): void {
    // A terminal ends lines with CR LF; the CR belongs to the line ending, not the line.
    if (complete && this.#tty && end > 0 && bytes[end - 1] === CR) end -= 1;
    this.#onEntry({ stream: this.#stream, timestamp, line: bytes.toString('utf8', 0, end) });
  }
}

const EMPTY = Buffer.alloc(0);
