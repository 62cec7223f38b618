export { ContainerSpec, ReportedContainerSpec, Mount, RestartPolicy, Resources, Healthcheck, Device, ManagedLabel, RESERVED_LABEL_PREFIX, type ContainerSpecInput } from './containerSpec.js';
export { ContainerState, HealthStatus, ContainerSummary, ContainerList, ContainerDetails, InspectContainerInput, Inventory } from './container.js';
export {
  OperationId,
  ContainerRef,
  PullPolicy,
  CreateContainerInput,
  StartContainerInput,
  StopContainerInput,
  RestartContainerInput,
  RemoveContainerInput,
  PullImageInput,
  ContainerResult,
  PullResult,
  OperationEvent,
  OperationStatus,
  GetOperationInput,
  WatchOperationInput,
  type OperationEventType,
  type OperationStep,
} from './operation.js';
export { ContainerEvent, WatchEventsInput } from './events.js';
export { LogStream, LogEntry, LogChunk, LogsInput } from './logs.js';
export { Heartbeat, EngineHealth } from './heartbeat.js';
export { Hello, AgentBuild, AgentUpgrades, LastUpgrade } from './hello.js';
export { TransferId, OpenArchiveInput, ArchiveTransfer, ReadArchiveInput, ArchiveChunk, WriteArchiveInput, WriteArchiveResult, AbortArchiveInput } from './archive.js';
export { AgentErrorData, ErrorShape, ValidationIssue } from './error.js';
export { Limit } from './limits.js';
export { CompactJwt, JoinRequest, JoinAnswer, JoinRefusal, JoinRefusalCode, JOIN_PATH } from './join.js';
export {
  AgentVersion,
  ArtifactKind,
  ReleaseArch,
  Sha256Hex,
  ReleaseManifest,
  SignedRelease,
  UpgradeAgentInput,
  UpgradeAgentResult,
  RELEASE_MANIFEST_FORMAT,
  MAX_MANIFEST_CHARS,
} from './release.js';
