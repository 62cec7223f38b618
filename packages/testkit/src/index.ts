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
  stopChild,
  type Registry,
  type SecondEngine,
  type Started,
} from './engine.js';
export { startProxy, type Proxy, type ProxyOptions } from './tcpProxy.js';
export { freePort } from './freePort.js';
export { startNats, type NatsServer } from './nats.js';
export { startPostgres, POSTGRES_BIN, type Postgres } from './postgres.js';
export {
  FUZZ_MODE_VARIABLE,
  FUZZ_SEED_VARIABLE,
  FuzzFailure,
  checkFuzz,
  describeFuzz,
  fuzzSettings,
  type FuzzMode,
  type FuzzRuns,
  type FuzzSettings,
} from './fuzz.js';
export { arbitraryFromJsonSchema, type JsonSchema, type JsonSchemaArbitraryOptions } from './arbitraryFromJsonSchema.js';
export { JSON_MUTATIONS, mutatedJson, type JsonMutation, type MutatedJson, type MutatedJsonOptions } from './mutatedJson.js';
