import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { AgentError } from '@lormas/protocol';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import { waitReadable } from '../streams/waitReadable.js';
import { VolumeTarFilter } from './VolumeTarFilter.js';

export interface ArchiveTransfersOptions {
  /**
   * A transfer nobody touched for this long is aborted and its streams closed, so a server
   * that vanished mid-copy leaves nothing open on the node. It does not run while a call on
   * the transfer is in flight.
   * @default 60_000 (milliseconds)
   */
  idleTimeoutMs?: number;
  /** Transfers open at once; one more is refused with `LIMIT_EXCEEDED`. @default 16 (transfers) */
  maxOpen?: number;
}

interface Common {
  timer: NodeJS.Timeout | undefined;
  /** Calls in flight: the idle timer waits for them. */
  busy: number;
  /** Why it was closed before its end, for a call still waiting on it. */
  aborted: AgentError | null;
}

type Transfer =
  | (Common & { kind: 'read'; stream: Readable })
  | (Common & { kind: 'write'; stream: PassThrough; filter: VolumeTarFilter; done: Promise<void>; endedEarly: Promise<never>; bytes: number });

/**
 * Open archive transfers of this agent, by id. Reads pull the engine's tar stream of a
 * volume one chunk per call; writes push chunks, judged entry by entry (`VolumeTarFilter`),
 * into the engine's extraction, each call answered once the chunk is accepted, so the
 * caller's pace is the engine's pace. A transfer that ends any other way than at the end of
 * its archive is an error to its caller, never an end: a truncated copy must not pass for a
 * whole one, since the migration then removes the source.
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

  /** Opens a read of `path` in the container; the caller has checked it is an owned volume's mount point. */
  async openRead(containerId: string, path: string): Promise<{ transferId: string }> {
    this.checkCapacity();
    const stream = await this.runtime.getArchive(containerId, path);
    stream.on('error', () => {});
    return { transferId: this.add({ kind: 'read', stream, timer: undefined, busy: 0, aborted: null }) };
  }

  async read(transferId: string, maxBytes: number): Promise<{ data: string; done: boolean }> {
    const transfer = this.get(transferId, 'read');
    return this.during(transferId, transfer, async () => {
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
        const state = await waitReadable(transfer.stream);
        if (transfer.aborted) throw transfer.aborted;
        if (state === 'end') {
          // 'end' is also a stream destroyed without an error: only a stream read to its end is one.
          if (!transfer.stream.readableEnded) throw new AgentError('ENGINE_ERROR', 'the engine closed the archive before its end');
          this.abort(transferId);
          return { data: '', done: true };
        }
      }
      // A chunk read whole may overshoot; hand back the excess for the next call.
      const all = Buffer.concat(chunks);
      if (all.length > maxBytes) transfer.stream.unshift(all.subarray(maxBytes));
      return { data: all.subarray(0, maxBytes).toString('base64'), done: false };
    });
  }

  /** Opens an extraction into `path` in the container; the caller has checked it is an owned volume's mount point. */
  async openWrite(containerId: string, path: string): Promise<{ transferId: string }> {
    this.checkCapacity();
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    const done = this.runtime.putArchive(containerId, path, stream);
    // Settles only if the engine stops reading before the last chunk, to end a wait for `drain`.
    const endedEarly = done.then(() => Promise.reject(new AgentError('ENGINE_ERROR', 'the engine ended the extraction early')));
    done.catch(() => {});
    endedEarly.catch(() => {});
    const transfer: Transfer = { kind: 'write', stream, filter: new VolumeTarFilter(), done, endedEarly, bytes: 0, timer: undefined, busy: 0, aborted: null };
    return { transferId: this.add(transfer) };
  }

  async write(transferId: string, data: string, last: boolean): Promise<{ bytesWritten: number }> {
    const transfer = this.get(transferId, 'write');
    return this.during(transferId, transfer, async () => {
      const bytes = Buffer.from(data, 'base64');
      transfer.bytes += bytes.length;
      const judged = transfer.filter.push(bytes);
      if (last) judged.push(...transfer.filter.finish());
      for (const piece of judged) {
        if (!transfer.stream.write(piece)) await Promise.race([once(transfer.stream, 'drain'), transfer.endedEarly]);
        if (transfer.aborted) throw transfer.aborted;
      }
      if (last) {
        transfer.stream.end();
        await transfer.done;
        this.abort(transferId);
      }
      return { bytesWritten: transfer.bytes };
    });
  }

  /** Closes a transfer's streams; unknown ids are ignored, so an abort can be repeated. */
  abort(transferId: string, reason: AgentError = new AgentError('CONFLICT', `transfer ${transferId} was aborted`)): void {
    const transfer = this.open.get(transferId);
    if (!transfer) return;
    this.open.delete(transferId);
    clearTimeout(transfer.timer);
    transfer.aborted = reason;
    transfer.stream.destroy();
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.abort(id, new AgentError('SHUTTING_DOWN', 'the agent is shutting down'));
  }

  /** Runs a call on a transfer: no idle timeout meanwhile; any failure closes the transfer. */
  private async during<T>(transferId: string, transfer: Transfer, call: () => Promise<T>): Promise<T> {
    transfer.busy += 1;
    clearTimeout(transfer.timer);
    try {
      return await call();
    } catch (error) {
      // Closed meanwhile (an abort, the shutdown): that is the reason, whatever the wait saw.
      const reason = transfer.aborted ?? AgentError.from(error);
      this.abort(transferId, reason);
      throw reason;
    } finally {
      transfer.busy -= 1;
      if (this.open.get(transferId) === transfer) this.touch(transferId, transfer);
    }
  }

  private add(transfer: Transfer): string {
    const transferId = `xfer_${randomBytes(12).toString('base64url')}`;
    this.open.set(transferId, transfer);
    this.touch(transferId, transfer);
    return transferId;
  }

  private touch(transferId: string, transfer: Transfer): void {
    clearTimeout(transfer.timer);
    if (transfer.busy > 0) return;
    transfer.timer = setTimeout(() => this.abort(transferId, new AgentError('CONFLICT', `transfer ${transferId} was idle for ${this.idleTimeoutMs} ms and closed`)), this.idleTimeoutMs);
    transfer.timer.unref();
  }

  private get<K extends Transfer['kind']>(transferId: string, kind: K): Extract<Transfer, { kind: K }> {
    const transfer = this.open.get(transferId);
    if (!transfer || transfer.kind !== kind) throw new AgentError('NOT_FOUND', `no open ${kind} transfer ${transferId}`);
    return transfer as Extract<Transfer, { kind: K }>;
  }

  private checkCapacity(): void {
    if (this.open.size >= this.maxOpen) throw new AgentError('LIMIT_EXCEEDED', `${this.maxOpen} archive transfers are open already`);
  }
}
