import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { AgentError } from '@lormas/protocol';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import { waitReadable } from '../streams/waitReadable.js';

export interface ArchiveTransfersOptions {
  /**
   * A transfer nobody touched for this long is aborted and its streams closed, so a server
   * that vanished mid-copy leaves nothing open on the node.
   * @default 60_000 (milliseconds)
   */
  idleTimeoutMs?: number;
  /** Transfers open at once. @default 16 */
  maxOpen?: number;
}

type Transfer =
  | { kind: 'read'; stream: Readable; timer: NodeJS.Timeout }
  | { kind: 'write'; stream: PassThrough; done: Promise<void>; endedEarly: Promise<never>; bytes: number; timer: NodeJS.Timeout };

/**
 * Open archive transfers of this agent, by id. Reads pull the engine's tar stream of a
 * folder one chunk per call; writes push chunks into the engine's extraction, each call
 * answered once the chunk is accepted, so the caller's pace is the engine's pace.
 */
export class ArchiveTransfers {
  private readonly open = new Map<string, Transfer>();
  private readonly idleTimeoutMs: number;
  private readonly maxOpen: number;

  constructor(
    private readonly runtime: ContainerRuntime,
    options: ArchiveTransfersOptions = {},
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.maxOpen = options.maxOpen ?? 16;
  }

  async openRead(containerId: string, path: string): Promise<{ transferId: string }> {
    this.checkCapacity();
    const stream = await this.runtime.getArchive(containerId, path);
    stream.on('error', () => {});
    return { transferId: this.add({ kind: 'read', stream, timer: undefined as never }) };
  }

  async read(transferId: string, maxBytes: number): Promise<{ data: string; done: boolean }> {
    const transfer = this.get(transferId, 'read');
    const chunks: Buffer[] = [];
    let size = 0;
    while (size < maxBytes) {
      const chunk = transfer.stream.read() as Buffer | null;
      if (chunk) {
        chunks.push(chunk);
        size += chunk.length;
        continue;
      }
      if (size > 0) break;
      const state = await waitReadable(transfer.stream).catch((error: unknown) => {
        this.abort(transferId);
        throw AgentError.from(error);
      });
      if (state === 'end') {
        this.abort(transferId);
        return { data: '', done: true };
      }
    }
    this.touch(transferId, transfer);
    // A chunk read whole may overshoot; hand back the excess for the next call.
    const all = Buffer.concat(chunks);
    if (all.length > maxBytes) transfer.stream.unshift(all.subarray(maxBytes));
    return { data: all.subarray(0, maxBytes).toString('base64'), done: false };
  }

  async openWrite(containerId: string, path: string): Promise<{ transferId: string }> {
    this.checkCapacity();
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    const done = this.runtime.putArchive(containerId, path, stream);
    // Settles only if the engine stops reading before the last chunk, to end a wait for `drain`.
    const endedEarly = done.then(() => Promise.reject(new AgentError('ENGINE_ERROR', 'the engine ended the extraction early')));
    done.catch(() => {});
    endedEarly.catch(() => {});
    return { transferId: this.add({ kind: 'write', stream, done, endedEarly, bytes: 0, timer: undefined as never }) };
  }

  async write(transferId: string, data: string, last: boolean): Promise<{ bytesWritten: number }> {
    const transfer = this.get(transferId, 'write');
    const bytes = Buffer.from(data, 'base64');
    transfer.bytes += bytes.length;
    try {
      if (bytes.length && !transfer.stream.write(bytes)) await Promise.race([once(transfer.stream, 'drain'), transfer.endedEarly]);
      if (last) {
        transfer.stream.end();
        await transfer.done;
        this.abort(transferId);
      } else {
        this.touch(transferId, transfer);
      }
    } catch (error) {
      this.abort(transferId);
      throw AgentError.from(error);
    }
    return { bytesWritten: transfer.bytes };
  }

  /** Closes a transfer's streams; unknown ids are ignored, so an abort can be repeated. */
  abort(transferId: string): void {
    const transfer = this.open.get(transferId);
    if (!transfer) return;
    this.open.delete(transferId);
    clearTimeout(transfer.timer);
    transfer.stream.destroy();
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.abort(id);
  }

  private add(transfer: Transfer): string {
    const transferId = `xfer_${randomBytes(12).toString('base64url')}`;
    this.open.set(transferId, transfer);
    this.touch(transferId, transfer);
    return transferId;
  }

  private touch(transferId: string, transfer: Transfer): void {
    clearTimeout(transfer.timer);
    transfer.timer = setTimeout(() => this.abort(transferId), this.idleTimeoutMs);
    transfer.timer.unref();
  }

  private get<K extends Transfer['kind']>(transferId: string, kind: K): Extract<Transfer, { kind: K }> {
    const transfer = this.open.get(transferId);
    if (!transfer || transfer.kind !== kind) throw new AgentError('NOT_FOUND', `no open ${kind} transfer ${transferId}`);
    return transfer as Extract<Transfer, { kind: K }>;
  }

  private checkCapacity(): void {
    if (this.open.size >= this.maxOpen) throw new AgentError('CONFLICT', `${this.maxOpen} archive transfers are already open`);
  }
}
