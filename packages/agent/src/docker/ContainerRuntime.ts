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

/** A mount as the container was created with it (`HostConfig.Mounts`, and `HostConfig.Binds` read the same way). */
export interface MountFacts {
  type: 'bind' | 'volume' | string;
  /** Host path of a bind, name of a volume. */
  source: string;
  /** Where it is mounted in the container. */
  target: string;
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
  /** Binds and named volumes, judged again before every start. */
  mounts: MountFacts[];
}

/** A volume as the engine reports it. */
export interface VolumeFacts {
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** The driver options it was created with (`-o`): what a local volume mounts. */
  options: Record<string, string>;
  /** The engine's creation time, as it reports it: a volume removed and made again differs. */
  createdAt: string;
}

/** A container that mounts a given volume, from a listing. */
export interface VolumeUser {
  id: string;
  labels: Record<string, string>;
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
  /** The engine's data root (`DockerRootDir`): every container's files and volumes. */
  dataRoot(): Promise<string>;
  /** Containers carrying every label in `labels` (key=value), and meeting `filter` when given. */
  list(labels: Record<string, string>, filter?: ListFilter): Promise<ContainerSummary[]>;
  /** Inspects by id or name; the spec is rebuilt from the engine's view. */
  inspect(idOrName: string): Promise<ContainerDetails>;
  /** Labels of a container, to check it is managed before acting on it, and what a log read needs to know. */
  labelsOf(idOrName: string): Promise<ContainerFacts>;
  /** The labels an image gives every container made from it (`{}` when it has none); `undefined` when the engine has no such image. */
  imageLabels(image: string): Promise<Record<string, string> | undefined>;
  /** Pulls `image`, calling `onProgress` for every progress line; resolves with the image id. */
  pull(image: string, onProgress: (progress: PullProgress) => void, signal?: AbortSignal): Promise<string>;
  /** Creates a container from `spec` with `labels` added; resolves with its id. */
  create(spec: ContainerSpec, labels: Record<string, string>): Promise<string>;
  start(id: string): Promise<void>;
  /** Stops; resolves once stopped with the exit code (null if it never ran, or runs again). */
  stop(id: string, timeoutSeconds?: number): Promise<{ exitCode: number | null }>;
  restart(id: string, timeoutSeconds?: number): Promise<void>;
  remove(id: string, options: { force: boolean; removeVolumes: boolean }): Promise<void>;
  /**
   * The engine's raw log stream, timestamps on: multiplexed 8-byte-header frames for a
   * non-TTY container, plain bytes for a TTY one. The caller destroys it when done.
   */
  logs(id: string, options: RawLogsOptions): Promise<Readable>;
  /**
   * Container events for containers carrying `labels`, until `signal` aborts. `onOpen` runs
   * once the engine has answered, so that what happens from then on is in the stream.
   */
  events(labels: Record<string, string>, signal: AbortSignal, onOpen?: () => void): AsyncIterable<RuntimeEvent>;
  /** A volume by name; `undefined` when there is none. */
  inspectVolume(name: string): Promise<VolumeFacts | undefined>;
  /**
   * Creates a local volume without driver options, carrying `labels`. The engine answers a
   * create of an existing name with the existing volume, whoever made it: the result is what
   * it holds under that name now, to be checked.
   */
  createVolume(name: string, labels: Record<string, string>): Promise<VolumeFacts>;
  /** Every container, in any state, that mounts volume `name`. */
  volumeUsers(name: string): Promise<VolumeUser[]>;
  /** A tar stream of `path` inside the container (Docker's archive API). */
  getArchive(id: string, path: string): Promise<Readable>;
  /** Extracts the tar stream `tar` into `path` inside the container. */
  putArchive(id: string, path: string, tar: Readable): Promise<void>;
}
