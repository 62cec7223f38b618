import { BLOCK, isZeroBlock, padding, parseHeader, parsePax, TarFormatError } from './tarFormat.js';

/** One entry of the archive, with pax records and GNU long names applied. */
export interface TarEntry {
  name: string;
  /** The header's type flag: `0` file, `1` hard link, `2` symlink, `3`/`4` devices, `5` folder, `6` fifo, ... */
  typeflag: string;
  linkname: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  uname: string;
  gname: string;
}

export type TarEvent =
  | { type: 'entry'; entry: TarEntry }
  /** Bytes of the current entry's data, in order; views into the pushed chunks. */
  | { type: 'data'; chunk: Buffer }
  | { type: 'end' };

export interface TarParserOptions {
  /** Largest pax header or GNU long name accepted, held in memory whole. @default 1 MiB (bytes) */
  maxMetaBytes?: number;
}

/** Header types that describe the next entry rather than being one. */
const META_TYPES = new Set(['x', 'L', 'K']);

/**
 * A tar stream parsed as it arrives, in chunks cut anywhere: a header, a pax record or a
 * file's data may straddle any number of `push` calls. Only a header block is copied (when
 * it is split); data comes out as views of the chunks pushed. Global pax headers and GNU
 * sparse files are refused rather than half understood.
 */
export class TarParser {
  private readonly maxMetaBytes: number;
  private state: 'header' | 'meta' | 'data' | 'skip' | 'trailer' | 'done' = 'header';
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes left of the current body (data or meta), then of its padding. */
  private remaining = 0;
  private pad = 0;
  private metaType = '';
  private meta: Buffer[] = [];
  private pax = new Map<string, string>();
  private longName: string | null = null;
  private longLink: string | null = null;

  constructor(options: TarParserOptions = {}) {
    this.maxMetaBytes = options.maxMetaBytes ?? 1024 * 1024;
  }

  /** Whether the end-of-archive marker has been read. */
  get ended(): boolean {
    return this.state === 'done' || this.state === 'trailer';
  }

  /** Parses `chunk`; returns what it completed. Throws `TarFormatError` on a malformed stream. */
  push(chunk: Buffer): TarEvent[] {
    const events: TarEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'done') {
        // Writers pad the archive with zeros to a record size; anything else after the end is refused.
        for (; at < chunk.length; at++) if (chunk[at] !== 0) throw new TarFormatError('data after the end of the archive');
        break;
      }
      if (this.state === 'data' || this.state === 'skip' || this.state === 'meta') {
        if (this.remaining > 0) {
          const take = Math.min(this.remaining, chunk.length - at);
          const piece = chunk.subarray(at, at + take);
          if (this.state === 'data') events.push({ type: 'data', chunk: piece });
          else if (this.state === 'meta') this.meta.push(piece);
          this.remaining -= take;
          at += take;
          continue;
        }
        const skip = Math.min(this.pad, chunk.length - at);
        this.pad -= skip;
        at += skip;
        if (this.pad === 0) this.bodyDone();
        continue;
      }
      const take = Math.min(BLOCK - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + take);
      this.headerFill += take;
      at += take;
      if (this.headerFill < BLOCK) break;
      this.headerFill = 0;
      const event = this.onBlock();
      if (event) events.push(event);
    }
    return events;
  }

  /** The stream ended: throws unless the end-of-archive marker was read and nothing is left half read. */
  finish(): void {
    if (!this.ended || this.headerFill !== 0) throw new TarFormatError('the archive ends before its end-of-archive marker');
  }

  private onBlock(): TarEvent | undefined {
    if (isZeroBlock(this.header)) {
      if (this.state === 'trailer') this.state = 'done';
      else if (this.pax.size > 0 || this.longName !== null || this.longLink !== null) throw new TarFormatError('the archive ends after an extended header');
      else this.state = 'trailer';
      return undefined;
    }
    if (this.state === 'trailer') throw new TarFormatError('an entry follows the end-of-archive marker');
    const raw = parseHeader(this.header);
    if (raw.typeflag === 'g') throw new TarFormatError('global pax headers are not supported');
    if (raw.typeflag === 'S' || [...this.pax.keys()].some((key) => key.startsWith('GNU.sparse'))) throw new TarFormatError('sparse files are not supported');
    if (META_TYPES.has(raw.typeflag)) {
      if (raw.size > this.maxMetaBytes) throw new TarFormatError(`an extended header of ${raw.size} bytes is larger than ${this.maxMetaBytes}`);
      this.metaType = raw.typeflag;
      this.meta = [];
      this.enterBody('meta', raw.size);
      return undefined;
    }
    const size = this.pax.has('size') ? this.paxNumber('size') : raw.size;
    const entry: TarEntry = {
      ...raw,
      name: this.pax.get('path') ?? this.longName ?? raw.name,
      linkname: this.pax.get('linkpath') ?? this.longLink ?? raw.linkname,
      size,
      uid: this.pax.has('uid') ? this.paxNumber('uid') : raw.uid,
      gid: this.pax.has('gid') ? this.paxNumber('gid') : raw.gid,
      mtime: this.pax.has('mtime') ? Math.floor(Number(this.pax.get('mtime'))) : raw.mtime,
      uname: this.pax.get('uname') ?? raw.uname,
      gname: this.pax.get('gname') ?? raw.gname,
    };
    this.pax = new Map();
    this.longName = null;
    this.longLink = null;
    // Folders, links and devices carry no data; some writers still give them a size.
    const carriesData = entry.typeflag === '0' || entry.typeflag === '\0' || entry.typeflag === '7';
    this.enterBody(carriesData ? 'data' : 'skip', size);
    return { type: 'entry', entry };
  }

  private enterBody(state: 'data' | 'skip' | 'meta', size: number): void {
    this.state = state;
    this.remaining = size;
    this.pad = padding(size);
    if (size === 0) this.bodyDone();
  }

  private bodyDone(): void {
    if (this.state === 'meta') {
      const data = Buffer.concat(this.meta);
      this.meta = [];
      if (this.metaType === 'x') for (const [key, value] of parsePax(data)) this.pax.set(key, value);
      else {
        const end = data.indexOf(0);
        const name = data.toString('utf8', 0, end === -1 ? data.length : end);
        if (this.metaType === 'L') this.longName = name;
        else this.longLink = name;
      }
    }
    this.state = 'header';
  }

  private paxNumber(key: string): number {
    const value = Number(this.pax.get(key));
    if (!Number.isSafeInteger(value) || value < 0) throw new TarFormatError(`pax ${key} is not a whole number`);
    return value;
  }
}
