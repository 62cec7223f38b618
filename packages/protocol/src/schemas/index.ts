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
export { Hello } from './hello.js';
export { TransferId, OpenArchiveInput, ArchiveTransfer, ReadArchiveInput, ArchiveChunk, WriteArchiveInput, WriteArchiveResult, AbortArchiveInput } from './archive.js';
export { AgentErrorData, ErrorShape, ValidationIssue } from './error.js';
export { Limit } from './limits.js';
