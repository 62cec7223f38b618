/**
 * The workspace's packages and their third-party libraries, as the benchmarks use them.
 * `bench/` is not a workspace package, so `ws` and `dockerode` are loaded from the agent
 * package, which depends on both: the benchmark runs the very copies the agent runs.
 */
import { createRequire } from 'node:module';

const fromAgent = createRequire(new URL('../packages/agent/package.json', import.meta.url));

export const ws = fromAgent('ws') as typeof import('ws');
/** Where the agent's `ws` is, for a child process that loads the same copy. */
export const wsModulePath = fromAgent.resolve('ws');
export const Docker = fromAgent('dockerode') as typeof import('dockerode');
export type DockerClient = import('dockerode');
export type WsSocket = import('ws').WebSocket;

export * from '../packages/protocol/src/index.js';
export * from '../packages/protocol/src/agent/index.js';
export * from '../packages/protocol/src/server/index.js';
export { DEFAULT_DOCKER_SOCKET, TEST_IMAGE, docker, requireEngine, ensureTestImage, waitFor } from '../packages/testkit/src/index.js';
