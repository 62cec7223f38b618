import { AgentError } from '@lormas/protocol';
import { policyDenied } from '../policy/policy.js';
import { BLOCK, formatHeader, padding, TarFormatError } from './tarFormat.js';
import { type TarEntry, TarParser } from './TarParser.js';

/** Regular files, hard links, symlinks, folders. Type `7` (contiguous) is a regular file to every reader. */
const FILE_TYPES = new Set(['0', '\0', '7']);
const KIND: Record<string, string> = { '3': 'character device', '4': 'block device', '6': 'fifo' };

/**
 * The only way data reaches a volume through the agent: Docker's archive of a folder (its
 * first entry the folder itself, every other entry inside it) is parsed as it streams in,
 * each entry judged, and a new archive written for the engine with the entries' paths made
 * relative to that folder, so that extracting it at the volume's mount point fills the
 * volume's root. The engine extracts whatever it is given, following links as it goes, so
 * nothing passes that could land outside the volume:
 * - absolute paths and `..` anywhere;
 * - symlinks whose target is absolute or climbs out of the root from where they stand;
 * - symlinks whose target runs through another symlink of this archive, or that stand where
 *   an earlier target ran: `..` after a link goes up from where the link leads, not from
 *   where it stands, so a target is judged only over real folders;
 * - hard links to anything but a file earlier in this archive, reached without a symlink;
 * - entries whose path runs through a symlink of this archive;
 * - devices, fifos and anything else that is not a file, folder or link.
 * Ownership, mode (permission bits only) and time are kept; extended attributes are not.
 * A refused entry throws `POLICY_DENIED` (rule `archive-entry`); a malformed or truncated
 * archive, `BAD_INPUT`.
 */
export class VolumeTarFilter {
  private readonly parser = new TarParser();
  private root: string[] | null = null;
  private readonly symlinks = new Set<string>();
  private readonly files = new Set<string>();
  /** Every path a symlink target of this archive runs through. */
  private readonly walked = new Set<string>();
  /** Data bytes of the current file still to forward, then its padding. */
  private forwarding = 0;
  private forwardingPad = 0;

  /** Judges the next bytes of the archive; returns what to hand the engine. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const event of this.parse(() => this.parser.push(chunk))) {
      if (event.type === 'entry') out.push(...this.entry(event.entry));
      else if (event.type === 'data' && this.forwarding > 0) {
        out.push(event.chunk);
        this.forwarding -= event.chunk.length;
        if (this.forwarding === 0 && this.forwardingPad > 0) out.push(Buffer.alloc(this.forwardingPad));
      }
    }
    return out;
  }

  /** The archive ended: throws unless it was whole; returns the end-of-archive marker. */
  finish(): Buffer[] {
    this.parse(() => this.parser.finish());
    if (this.root === null) throw new AgentError('BAD_INPUT', 'the archive holds no folder');
    return [Buffer.alloc(2 * BLOCK)];
  }

  private parse<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (error instanceof TarFormatError) throw new AgentError('BAD_INPUT', `the archive cannot be read: ${error.message}`, { cause: error });
      throw error;
    }
  }

  private entry(entry: TarEntry): Buffer[] {
    const parts = this.components(entry.name, entry.name);
    if (this.root === null) {
      if (entry.typeflag !== '5') throw this.refused(entry.name, 'the archive must start with the folder it holds');
      this.root = parts;
      return [];
    }
    const rel = this.relative(parts, entry.name);
    this.noSymlinkAbove(rel, entry.name, 'its path');
    const path = rel.join('/');
    let typeflag = entry.typeflag;
    let linkname = '';
    if (FILE_TYPES.has(typeflag)) typeflag = '0';
    else if (typeflag === '2') {
      if (this.walked.has(path)) throw this.refused(entry.name, 'an earlier symlink target runs through where it stands');
      linkname = this.symlinkTarget(entry, rel);
    } else if (typeflag === '1') {
      const target = this.relative(this.components(entry.linkname, entry.name), entry.name);
      linkname = target.join('/');
      this.noSymlinkAbove(target, entry.name, 'its hard link target');
      if (!this.files.has(linkname)) throw this.refused(entry.name, `it hard-links ${entry.linkname}, which is no file earlier in this archive`);
    } else if (typeflag !== '5') throw this.refused(entry.name, `it is a ${KIND[typeflag] ?? `type "${typeflag}" entry`}, not a file, folder or link`);
    // The engine replaces whatever stood at a path with the new entry.
    this.symlinks.delete(path);
    this.files.delete(path);
    if (typeflag === '2') this.symlinks.add(path);
    if (typeflag === '0' || typeflag === '1') this.files.add(path);
    const size = typeflag === '0' ? entry.size : 0;
    this.forwarding = size;
    this.forwardingPad = padding(size);
    return formatHeader({
      name: typeflag === '5' ? `${path}/` : path,
      mode: entry.mode & 0o7777,
      uid: entry.uid,
      gid: entry.gid,
      size,
      mtime: entry.mtime,
      typeflag,
      linkname,
      uname: entry.uname,
      gname: entry.gname,
    });
  }

  /** The path's components, `.` and empty ones dropped; absolute paths and `..` refused. */
  private components(path: string, entryName: string): string[] {
    if (path.startsWith('/')) throw this.refused(entryName, `${path} is an absolute path`);
    const parts = path.split('/').filter((part) => part !== '' && part !== '.');
    if (parts.includes('..')) throw this.refused(entryName, `${path} climbs with ".."`);
    return parts;
  }

  /** `parts` below the archive's folder; refused when outside it or the folder itself. */
  private relative(parts: string[], entryName: string): string[] {
    const root = this.root!;
    const inside = parts.length > root.length && root.every((part, i) => parts[i] === part);
    if (!inside) throw this.refused(entryName, `it lies outside the archive's folder ${root.join('/') || '.'}`);
    return parts.slice(root.length);
  }

  /** Refuses `parts` when a folder above its last component is a symlink of this archive. */
  private noSymlinkAbove(parts: string[], entryName: string, what: string): void {
    for (let depth = 1; depth < parts.length; depth++) {
      const ancestor = parts.slice(0, depth).join('/');
      if (this.symlinks.has(ancestor)) throw this.refused(entryName, `${what} runs through the symlink ${ancestor}`);
    }
  }

  /** A symlink's target as written, once walked from where the link stands and found to stay inside the volume. */
  private symlinkTarget(entry: TarEntry, rel: string[]): string {
    if (entry.linkname === '' || entry.linkname.startsWith('/')) throw this.refused(entry.name, `its symlink target "${entry.linkname}" is absolute or empty`);
    const at = rel.slice(0, -1);
    for (const part of entry.linkname.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (at.length === 0) throw this.refused(entry.name, `its symlink target ${entry.linkname} leads out of the volume`);
        at.pop();
        continue;
      }
      at.push(part);
      const through = at.join('/');
      if (this.symlinks.has(through)) throw this.refused(entry.name, `its symlink target runs through the symlink ${through}`);
      this.walked.add(through);
    }
    return entry.linkname;
  }

  private refused(name: string, why: string): AgentError {
    return policyDenied('archive-entry', `archive entry ${JSON.stringify(name)} refused: ${why}`);
  }
}
