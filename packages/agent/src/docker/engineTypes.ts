/**
 * The parts of the Docker Engine API (v1.41) the spec mapping reads and writes. Declared
 * here rather than taken from `@types/dockerode` because those types omit fields the
 * agent relies on (`StopTimeout`, `TmpfsOptions`) and mark as required what the engine
 * leaves out.
 */

export interface EngineMount {
  Type: 'volume' | 'bind' | 'tmpfs' | string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface EngineHealthcheck {
  Test?: string[];
  /** Nanoseconds. */
  Interval?: number;
  /** Nanoseconds. */
  Timeout?: number;
  Retries?: number;
  /** Nanoseconds. */
  StartPeriod?: number;
}

export interface EngineDevice {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface EngineHostConfig {
  Mounts?: EngineMount[] | null;
  /** `source:target[:options]`; the agent never sets these, but a container may have them. */
  Binds?: string[] | null;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  Memory?: number;
  NanoCpus?: number;
  PidsLimit?: number | null;
  Privileged?: boolean;
  NetworkMode?: string;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  CapAdd?: string[] | null;
  Devices?: EngineDevice[] | null;
  SecurityOpt?: string[] | null;
}

/** The container configuration, as sent to create and as read back from inspect. */
export interface EngineConfig {
  Image?: string;
  Cmd?: string[] | null;
  Entrypoint?: string[] | string | null;
  Env?: string[] | null;
  Labels?: Record<string, string> | null;
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  Healthcheck?: EngineHealthcheck | null;
  StopTimeout?: number | null;
}

/** The body of `POST /containers/create`, with the name that travels as a query parameter. */
export interface EngineCreateBody extends EngineConfig {
  name: string;
  Image: string;
  HostConfig: EngineHostConfig;
}

/** The fields of `GET /containers/{id}/json` the agent reads. */
export interface EngineContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  RestartCount: number;
  State: {
    Status: string;
    Running: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string } | null;
  };
  Config: EngineConfig;
  HostConfig: EngineHostConfig;
}

/** The image defaults that the engine merges into a container's config at create. */
export type EngineImageConfig = Pick<EngineConfig, 'Cmd' | 'Entrypoint' | 'Env' | 'Labels' | 'WorkingDir' | 'User' | 'Healthcheck'>;

/** `GET /volumes/{name}`. */
export interface EngineVolume {
  Name: string;
  Driver: string;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  CreatedAt?: string;
}
