import type { Readable } from 'node:stream';
import type { ContainerDetails, ContainerSpec, ContainerSummary, HealthStatus } from '@lormas/protocol';

/** One line of an image pull's progress, as the engine reports it. */
export interface PullProgress {
  /** Layer id; absent for whole-image status lines. */
  layer?: string;
  /** `Pulling fs layer`, `Downloading`, `Extracting`, `Pull complete`, ... */
  status: string;
  currentBytes?: number;
  totalBytes?: number;
}

/** A state change of a container, from the engine's event stream. */
export interface RuntimeEvent {
  type: 'create' | 'start' | 'die' | 'oom' | 'health' | 'stop' | 'restart' | 'destroy' | 'pause' | 'unpause';
  containerId: string;
  name: string;
  labels: Record<string, string>;
  /** Epoch milliseconds. */
  at: number;
  exitCode?: number;
  health?: HealthStatus;
}

export interface RawLogsOptions {
  follow: boolean;
  tail?: number;
  /** Epoch seconds, fractional allowed. */
  since?: number;
  /** Epoch seconds, fractional allowed. */
  until?: number;
  stdout: boolean;
  stderr: boolean;
}

/** What the agent checks before acting on a container, and what a log read needs to know of it. */
export interface ContainerFacts {
  id: string;
  name: string;
  labels: Record<string, string>;
  tty: boolean;
  running: boolean;
  /** The engine's `State.StartedAt`, which changes whenever the container starts. */
  startedAt: string;
}

/** More conditions on a listing, which the engine applies. */
export interface ListFilter {
  /** Only running containers. */
  running?: boolean;
  /** Only containers that carry this label, whatever its value. */
  withLabel?: string;
}

/** The engine's version facts. */
export interface EngineInfo {
  version: string;
  apiVersion: string;
}

/**
 * The agent's view of a container engine. The dockerode implementation is the only code
 * that knows about Docker's HTTP API; everything else (policy, operations, the router)
 * talks to this interface and is tested against fakes and the real engine alike.
 *
 * Errors: every method rejects with an `AgentError` (from `@lormas/protocol`):
 * `NOT_FOUND`, `CONFLICT`, `ENGINE_UNAVAILABLE` or `ENGINE_ERROR` with the engine's message.
 */
export interface ContainerRuntime {
  ping(): Promise<EngineInfo>;
  /** Containers carrying every label in `labels` (key=value), and meeting `filter` when given. */
  list(labels: Record<string, string>, filter?: ListFilter): Promise<ContainerSummary[]>;
  /** Inspects by id or name; the spec is rebuilt from the engine's view. */
  inspect(idOrName: string): Promise<ContainerDetails>;
  /** Labels of a container, to check it is managed before acting on it, and what a log read needs to know. */
  labelsOf(idOrName: string): Promise<ContainerFacts>;
  hasImage(image: string): Promise<boolean>;
  /** Pulls `image`, calling `onProgress` for every progress line; resolves with the image id. */
  pull(image: string, onProgress: (progress: PullProgress) => void, signal?: AbortSignal): Promise<string>;
  /** Creates a container from `spec` with `labels` added; resolves with its id. */
  create(spec: ContainerSpec, labels: Record<string, string>): Promise<string>;
  start(id: string): Promise<void>;
  /** Stops; resolves with the exit code once stopped. */
  stop(id: string, timeoutSeconds?: number): Promise<number | null>;
  restart(id: string, timeoutSeconds?: number): Promise<void>;
  remove(id: string, options: { force: boolean; removeVolumes: boolean }): Promise<void>;
  /**
   * The engine's raw log stream, timestamps on: multiplexed 8-byte-header frames for a
   * non-TTY container, plain bytes for a TTY one. The caller destroys it when done.
   */
  logs(id: string, options: RawLogsOptions): Promise<Readable>;
  /** Container events for containers carrying `labels`, until `signal` aborts. */
  events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<RuntimeEvent>;
  /** A tar stream of `path` inside the container (Docker's archive API). */
  getArchive(id: string, path: string): Promise<Readable>;
  /** Extracts the tar stream `tar` into `path` inside the container. */
  putArchive(id: string, path: string, tar: Readable): Promise<void>;
}
