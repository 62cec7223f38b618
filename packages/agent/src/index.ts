export { startAgent, main, EXIT_USAGE, type RunningAgent } from './main.js';
export { loadConfig, helpText, ConfigError, VARIABLES, type AgentConfig } from './config.js';
export { createDockerRuntime } from './docker/dockerRuntime.js';
export type { ContainerRuntime, RuntimeEvent, PullProgress, RawLogsOptions, EngineInfo } from './docker/ContainerRuntime.js';
export { checkSpec, POLICY_RULES } from './policy/policy.js';
export { DEFAULT_GUARD_RAILS, type GuardRails } from './policy/guardRails.js';
export { AGENT_VERSION } from './version.js';
