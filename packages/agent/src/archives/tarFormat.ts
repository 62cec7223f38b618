/**
 * The tar header block (POSIX ustar, with GNU's and pax's extensions read), parsed and
 * written. Field offsets are POSIX.1-2001's `ustar` layout; pax records are POSIX.1-2001's
 * `pax` format ("LEN key=value\n"). GNU writes long names as entries of type `L`/`K` and large
 * numbers in base-256 (first byte 0x80).
 */

export const BLOCK = 512;

/** A tar stream the agent cannot read as one: a bad checksum, a number that is not one, a truncated end. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

/** One header block as written, before pax or GNU long names are applied. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** An octal field, or GNU's base-256 one (first byte 0x80); negative numbers are refused. */
function number(block: Buffer, start: number, length: number, what: string): number {
  const field = block.subarray(start, start + length);
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) throw new TarFormatError(`negative ${what}`);
    let value = field[0]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + field[i]!;
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${what} too large`);
    return value;
  }
  const digits = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarFormatError(`${what} is not an octal number`);
  return Number.parseInt(digits, 8);
}

/** Whether `block` is all zero bytes: the end-of-archive marker. */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Reads a header block; throws `TarFormatError` when its checksum does not hold. */
export function parseHeader(block: Buffer): RawHeader {
  const stored = number(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Old writers summed signed bytes; both readings are accepted, as GNU tar does.
  if (stored !== unsigned && stored !== signed) throw new TarFormatError('a header checksum does not match');
  const magic = block.toString('latin1', 257, 263);
  const posix = magic === 'ustar\0';
  const prefix = posix ? text(block, 345, 155) : '';
  const name = text(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: number(block, 100, 8, 'mode'),
    uid: number(block, 108, 8, 'uid'),
    gid: number(block, 116, 8, 'gid'),
    size: number(block, 124, 12, 'size'),
    mtime: number(block, 136, 12, 'mtime'),
    typeflag: String.fromCharCode(block[156]!),
    linkname: text(block, 157, 100),
    uname: text(block, 265, 32),
    gname: text(block, 297, 32),
  };
}

/** Parses pax extended records; throws on a malformed one. */
export function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break;
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new TarFormatError('a pax record is malformed');
    }
    const record = data.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError('a pax record has no key');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

/** One pax record, its length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
  return `${length}${body}`;
}

/** The largest value an octal field of `length` bytes holds (a NUL ends it). */
const octalMax = (length: number) => 8 ** (length - 1) - 1;

function writeText(block: Buffer, start: number, length: number, value: string): void {
  block.write(value, start, length, 'utf8');
}

function writeOctal(block: Buffer, start: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, start, length, 'latin1');
}

/** Splits a path into ustar's prefix and name fields, or `null` when it cannot fit them. */
function splitUstar(path: string): { prefix: string; name: string } | null {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { prefix, name };
  }
  return null;
}

function headerBlock(header: RawHeader, split: { prefix: string; name: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeText(block, 0, 100, split.name);
  writeOctal(block, 100, 8, header.mode);
  writeOctal(block, 108, 8, Math.min(header.uid, octalMax(8)));
  writeOctal(block, 116, 8, Math.min(header.gid, octalMax(8)));
  writeOctal(block, 124, 12, Math.min(header.size, octalMax(12)));
  writeOctal(block, 136, 12, Math.min(Math.max(0, header.mtime), octalMax(12)));
  block.fill(0x20, 148, 156);
  block.write(header.typeflag, 156, 1, 'latin1');
  writeText(block, 157, 100, Buffer.byteLength(header.linkname) <= 100 ? header.linkname : '');
  block.write('ustar\u000000', 257, 8, 'latin1');
  writeText(block, 265, 32, header.uname);
  writeText(block, 297, 32, header.gname);
  writeText(block, 345, 155, split.prefix);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

/**
 * The blocks of one entry's header in POSIX pax format: a plain ustar header, preceded by a
 * pax header for whatever ustar cannot hold (a long path or link, a large size, id or time).
 * Names and links are written as given: the caller has judged them.
 */
export function formatHeader(header: RawHeader): Buffer[] {
  const records: string[] = [];
  const split = splitUstar(header.name);
  if (split === null) records.push(paxRecord('path', header.name));
  if (Buffer.byteLength(header.linkname) > 100) records.push(paxRecord('linkpath', header.linkname));
  if (header.size > octalMax(12)) records.push(paxRecord('size', String(header.size)));
  if (header.uid > octalMax(8)) records.push(paxRecord('uid', String(header.uid)));
  if (header.gid > octalMax(8)) records.push(paxRecord('gid', String(header.gid)));
  if (header.mtime > octalMax(12) || header.mtime < 0) records.push(paxRecord('mtime', String(header.mtime)));
  const main = headerBlock(header, split ?? { prefix: '', name: header.name.slice(-100).replace(/^[^/]*\//, '') });
  if (records.length === 0) return [main];
  const data = Buffer.from(records.join(''), 'utf8');
  const pax = headerBlock({ ...header, name: 'PaxHeader', size: data.length, typeflag: 'x', linkname: '', mode: 0o644 }, { prefix: '', name: 'PaxHeader' });
  return [pax, data, Buffer.alloc(padding(data.length)), main];
}

/** Zero bytes after `size` bytes of data, up to the next block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
