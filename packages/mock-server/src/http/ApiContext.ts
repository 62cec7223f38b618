import type { AgentGateway } from '../agents/AgentGateway.js';
import type { SigningKey } from '../auth/signingKey.js';
import type { ContainerService } from '../containers/ContainerService.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { MigrationRunner } from '../migrations/MigrationRunner.js';
import type { Store } from '../store/Store.js';

/** What the API's routes work with. */
export interface ApiContext {
  store: Store;
  gateway: AgentGateway;
  containers: ContainerService;
  failover: FailoverController;
  migrations: MigrationRunner;
  key: SigningKey;
  /** Lifetime of issued node tokens; `null` for none. */
  tokenTtlSeconds: number | null;
  now: () => number;
}
