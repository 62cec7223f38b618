export { PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, isCompatibleProtocol, protocolMajor } from './version.js';
export { CloseCode, closeAction, closeCodeName, type CloseCodeName, type CloseCodeNumber } from './closeCodes.js';
export { ErrorCode, type ErrorCodeName } from './errorCodes.js';
export { AgentError, toValidationIssues, type AgentErrorOptions } from './errors.js';

export { ContainerSpec, Mount, RestartPolicy, Resources, Healthcheck, Device, ManagedLabel, RESERVED_LABEL_PREFIX, type ContainerSpecInput } from './schemas/containerSpec.js';
export { ContainerState, HealthStatus, ContainerSummary, ContainerDetails, Inventory } from './schemas/container.js';
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
  WatchOperationInput,
  type OperationEventType,
  type OperationStep,
} from './schemas/operation.js';
export { ContainerEvent, WatchEventsInput } from './schemas/events.js';
export { LogStream, LogEntry, LogChunk, LogsInput } from './schemas/logs.js';
export { Heartbeat, EngineHealth } from './schemas/heartbeat.js';
export { Hello } from './schemas/hello.js';
export { TransferId, OpenArchiveInput, ArchiveTransfer, ReadArchiveInput, ArchiveChunk, WriteArchiveInput, WriteArchiveResult } from './schemas/archive.js';
export { AgentErrorData, ErrorShape, ValidationIssue } from './schemas/error.js';

export { createAgentRouter, type AgentRouter, type AgentContext } from './router/createAgentRouter.js';
export type { AgentHandlers, StreamContext, LinkPressure, Tracked } from './router/handlers.js';

export { serveAgentLink, type ServeAgentLinkOptions } from './link/serveAgentLink.js';
export type { FlowMeterOptions } from './link/flowMeter.js';
export {
  AgentHub,
  LinkRefusal,
  type AgentClient,
  type AgentHubOptions,
  type AgentConnectEvent,
  type AgentDisconnectEvent,
  type AgentRefusedEvent,
  type NodeIdentity,
} from './link/AgentHub.js';
export { keepAlive, type KeepAliveOptions } from './link/keepAlive.js';
export { contractJsonSchema, wireSchemas } from './jsonSchema.js';
