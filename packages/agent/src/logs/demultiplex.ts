/** Which output a piece of a multiplexed log stream came from. */
export type StreamKind = 'stdout' | 'stderr';

/**
 * Receives the payload of a frame, possibly in several pieces. `frameEnd` is true on the
 * piece that completes the frame. `bytes` is a view into the engine's chunk: a receiver
 * that keeps it past the call must copy it.
 */
export type FrameReceiver = (stream: StreamKind, bytes: Buffer, frameEnd: boolean) => void;

const HEADER_BYTES = 8;

/**
 * Splits Docker's multiplexed stream (non-TTY containers) back into its stdout and stderr
 * frames. Each frame is an 8-byte header `[stream, 0, 0, 0, size uint32 BE]` and `size`
 * bytes of payload; chunks from the socket cut frames anywhere, headers included, so the
 * header is reassembled across chunks and payloads are handed on as they arrive.
 *
 * With timestamps on, the engine writes one log message per frame, which is how a partial
 * message (a line the logging driver split) is told apart from a complete one.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerAttach
 */
export class Demultiplexer {
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #headerFill = 0;
  #stream: StreamKind = 'stdout';
  /** Payload bytes of the current frame still to come; 0 while reading a header. */
  #remaining = 0;
  /** Whether the current frame's payload is handed on (stdin frames are dropped). */
  #deliver = true;

  constructor(private readonly receive: FrameReceiver) {}

  /** Feeds the next chunk of the engine's stream. */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining === 0) {
        // Fast path: the whole header is in this chunk and none is pending.
        if (this.#headerFill === 0 && chunk.length - offset >= HEADER_BYTES) {
          this.#startFrame(chunk[offset]!, chunk.readUInt32BE(offset + 4));
          offset += HEADER_BYTES;
        } else {
          const take = Math.min(HEADER_BYTES - this.#headerFill, chunk.length - offset);
          chunk.copy(this.#header, this.#headerFill, offset, offset + take);
          this.#headerFill += take;
          offset += take;
          if (this.#headerFill < HEADER_BYTES) return;
          this.#headerFill = 0;
          this.#startFrame(this.#header[0]!, this.#header.readUInt32BE(4));
        }
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - offset);
      this.#remaining -= take;
      if (this.#deliver) this.receive(this.#stream, chunk.subarray(offset, offset + take), this.#remaining === 0);
      offset += take;
    }
  }

  /** Whether the stream stopped in the middle of a frame (a truncated stream). */
  get midFrame(): boolean {
    return this.#remaining > 0 || this.#headerFill > 0;
  }

  #startFrame(kind: number, size: number): void {
    // 1 is stdout, 2 stderr; 0 (stdin) never carries log output.
    this.#stream = kind === 2 ? 'stderr' : 'stdout';
    this.#deliver = kind === 1 || kind === 2;
    this.#remaining = size;
    // An empty frame still ends a message.
    if (size === 0 && this.#deliver) this.receive(this.#stream, EMPTY, true);
  }
}

const EMPTY = Buffer.alloc(0);
