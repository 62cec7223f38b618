import type { z } from 'zod';
import type { ArchiveChunk, ArchiveTransfer, OpenArchiveInput, ReadArchiveInput, WriteArchiveInput, WriteArchiveResult } from '../schemas/archive.js';
import type { ContainerDetails, ContainerSummary, Inventory } from '../schemas/container.js';
import type { ContainerEvent, WatchEventsInput } from '../schemas/events.js';
import type { Heartbeat } from '../schemas/heartbeat.js';
import type { Hello } from '../schemas/hello.js';
import type { LogChunk, LogsInput } from '../schemas/logs.js';
import type {
  ContainerResult,
  CreateContainerInput,
  OperationEvent,
  OperationStatus,
  PullImageInput,
  PullResult,
  RemoveContainerInput,
  RestartContainerInput,
  StartContainerInput,
  StopContainerInput,
  WatchOperationInput,
} from '../schemas/operation.js';

/**
 * What a subscription handler gets besides its input: the signal that ends the stream,
 * and the link it streams over, for backpressure.
 */
export interface StreamContext {
  signal: AbortSignal;
  link: LinkPressure;
}

/** The link's backlog as a stream sees it. */
export interface LinkPressure {
  /**
   * Bytes sent on the link that the peer has not yet confirmed reading: what `ws` holds plus
   * what sits in the kernel's buffers on both sides. Anything sent now waits behind them.
   */
  bufferedAmount(): number;
  /** Whether a bulk stream must wait for room before its next chunk: the window is full, or others wait already. */
  full(): boolean;
  /**
   * How many bytes the link now lets be unread. A bulk stream keeps its chunks to a fraction
   * of it, so that one chunk is on its way while the next is sent: a window of one chunk
   * would leave a slow link idle for every round trip.
   */
  windowBytes(): number;
  /**
   * Resolves when a bulk stream (logs) may send its next chunk: at once while the link's send
   * window has room, else in turn with the link's other bulk streams as the peer reads. The
   * window keeps what is queued ahead of a heartbeat short. Resolves at once, room or not,
   * if `signal` aborts or the link closes.
   */
  writable(signal?: AbortSignal): Promise<void>;
}

/** One event of a resumable stream, with the id a resumed stream starts after. */
export interface Tracked<T> {
  id: string;
  data: T;
}

/**
 * The agent's implementation of its router. The protocol package validates every input
 * before a handler runs and every output before it leaves.
 */
export interface AgentHandlers {
  hello(): Promise<Hello>;
  inventory(): Promise<Inventory>;
  containers: {
    list(): Promise<ContainerSummary[]>;
    inspect(id: string): Promise<ContainerDetails>;
    create(input: z.output<typeof CreateContainerInput>): Promise<ContainerResult>;
    start(input: z.output<typeof StartContainerInput>): Promise<ContainerResult>;
    stop(input: z.output<typeof StopContainerInput>): Promise<ContainerResult>;
    restart(input: z.output<typeof RestartContainerInput>): Promise<ContainerResult>;
    remove(input: z.output<typeof RemoveContainerInput>): Promise<ContainerResult>;
    events(input: z.output<typeof WatchEventsInput>, ctx: StreamContext): AsyncIterable<Tracked<ContainerEvent>>;
    logs(input: z.output<typeof LogsInput>, ctx: StreamContext): AsyncIterable<Tracked<LogChunk>>;
  };
  images: {
    pull(input: z.output<typeof PullImageInput>): Promise<PullResult>;
  };
  operations: {
    get(operationId: string): Promise<OperationStatus>;
    watch(input: z.output<typeof WatchOperationInput>, ctx: StreamContext): AsyncIterable<Tracked<OperationEvent>>;
  };
  node: {
    heartbeats(ctx: StreamContext): AsyncIterable<Heartbeat>;
  };
  archives: {
    openRead(input: z.output<typeof OpenArchiveInput>): Promise<z.output<typeof ArchiveTransfer>>;
    read(input: z.output<typeof ReadArchiveInput>): Promise<z.output<typeof ArchiveChunk>>;
    openWrite(input: z.output<typeof OpenArchiveInput>): Promise<z.output<typeof ArchiveTransfer>>;
    write(input: z.output<typeof WriteArchiveInput>): Promise<z.output<typeof WriteArchiveResult>>;
    abort(transferId: string): Promise<void>;
  };
}
