import type { RawData, WebSocket } from 'ws';

type Listener = (this: AdoptedWebSocket, event: any) => void;

/** Hands an accepted agent socket to whichever `AdoptedWebSocket` asks for it. */
export interface SocketSource {
  /**
   * Calls `take` with the node's socket now or when it dials in, or `fail` when the source
   * is closed and no socket will come. Returns a cancel function.
   */
  request(take: (socket: WebSocket) => void, fail: () => void): () => void;
}

/**
 * A browser-style WebSocket for tRPC's `createWSClient` that, instead of dialling, adopts
 * a socket the agent dialled in with. Each instance adopts one socket; when that socket
 * closes, the tRPC client constructs a new instance, which waits for the node's next one.
 *
 * Two details matter to tRPC: an adopted socket is already open and never fires `open`,
 * so this class fires it; and tRPC's listeners call `this.send`, so they run with this
 * wrapper as `this`.
 */
export class AdoptedWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readyState: number = AdoptedWebSocket.CONNECTING;
  binaryType = 'arraybuffer';
  private socket: WebSocket | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private cancelRequest: (() => void) | null;

  constructor(source: SocketSource) {
    this.cancelRequest = source.request(
      (socket) => this.adopt(socket),
      () => {
        this.cancelRequest = null;
        if (this.readyState !== AdoptedWebSocket.CONNECTING) return;
        this.dispatch('error', { type: 'error' });
        this.finish(1001, 'link closed');
      },
    );
  }

  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  send(data: string): void {
    if (this.readyState !== AdoptedWebSocket.OPEN || this.socket?.readyState !== this.socket?.OPEN) throw new Error('WebSocket is not open');
    this.socket!.send(data);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= AdoptedWebSocket.CLOSING) return;
    if (this.socket) {
      this.readyState = AdoptedWebSocket.CLOSING;
      this.socket.close(code ?? 1000, reason);
      return;
    }
    this.cancelRequest?.();
    this.cancelRequest = null;
    this.finish(code ?? 1000, reason ?? '');
  }

  private adopt(socket: WebSocket): void {
    this.cancelRequest = null;
    if (this.readyState !== AdoptedWebSocket.CONNECTING) return;
    this.socket = socket;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      this.dispatch('message', { type: 'message', data: isBinary ? data : data.toString() });
    });
    socket.once('close', (code: number, reason: Buffer) => this.finish(code, reason.toString()));
    if (socket.readyState !== socket.OPEN) {
      this.finish(1006, 'socket closed before it was adopted');
      return;
    }
    this.readyState = AdoptedWebSocket.OPEN;
    // tRPC adds its `open` listener a few promise ticks after construction: fire on a later macrotask.
    setImmediate(() => {
      if (this.readyState === AdoptedWebSocket.OPEN) this.dispatch('open', { type: 'open' });
    });
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === AdoptedWebSocket.CLOSED) return;
    this.readyState = AdoptedWebSocket.CLOSED;
    this.dispatch('close', { type: 'close', code, reason, wasClean: code !== 1006 });
  }

  private dispatch(type: string, event: object): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener.call(this, event);
  }
}
