export { waitFor, nextEvent, WaitTimeout, type WaitOptions } from './waitFor.js';
export {
  DEFAULT_DOCKER_SOCKET,
  TEST_IMAGE,
  docker,
  engineAnswers,
  engineState,
  ensureEngine,
  ensureTestImage,
  removeContainers,
  requireEngine,
  startRegistry,
  startSecondEngine,
  type Registry,
  type SecondEngine,
  type Started,
} from './engine.js';
export { startProxy, type Proxy, type ProxyOptions } from './tcpProxy.js';
