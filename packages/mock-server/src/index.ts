export { startMockServer, type MockServer, type MockServerOptions } from './server.js';
export { loadConfig, ConfigError, parseDuration, type MockServerConfig } from './config.js';
export { createLogger, silentLogger, LOG_LEVELS, type Logger, type LogLevel, type LogFields } from './logger.js';
export { NODE_TOKEN } from './auth/tokenFormat.js';
export { TokenError, TokenErrorCode, type TokenErrorCodeName } from './auth/TokenError.js';
export { ServerError, ServerErrorCode, type ServerErrorCodeName } from './errors.js';
export type { NodeStatus, NodeLive } from './agents/NodeLiveness.js';
export type { ApiRoutes, ApiRoute, LiveEventMap, NodeView, ClusterView, ContainerView, CreatedContainerView, PlacementView, MigrationView, SampleView, SessionView, CreateContainerBody } from './http/apiTypes.js';
