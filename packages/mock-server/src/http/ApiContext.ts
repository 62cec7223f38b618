import type { AgentGateway } from '../agents/AgentGateway.js';
import type { SigningKey } from '../auth/signingKey.js';
import type { ContainerService } from '../containers/ContainerService.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { MigrationRunner } from '../migrations/MigrationRunner.js';
import type { Store } from '../store/Store.js';
import type { Sessions } from '../auth/Sessions.js';
import type { SignInLimiter } from '../auth/SignInLimiter.js';
import type { LiveEvents } from '../live/LiveEvents.js';
import type { NodeChooser } from '../placement/NodeChooser.js';
import type { SharedLogStreams } from '../logs/SharedLogStreams.js';

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
  /** Where containers go, for placement and failover alike. */
  chooser: NodeChooser;
  /** The live event stream and the sparkline samples. */
  live: LiveEvents;
  /** Compared, in constant time, with the token a sign-in offers. */
  adminToken: string;
  sessions: Sessions;
  signIn: SignInLimiter;
  /** Followed logs, one agent stream per container shared by every viewer. */
  logs: SharedLogStreams;
  /** A reader of `/api/events` this far behind is cut off. */
  eventsMaxBufferedBytes: number;
  /** An SSE comment goes to a quiet `/api/events` reader this often. */
  eventsKeepAliveMs: number;
  /** In cluster mode, this replica and the failover leader; null in one process. */
  replica: (() => { id: string; leader: string | null }) | null;
}
