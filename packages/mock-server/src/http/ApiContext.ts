import type { AgentGateway } from '../agents/AgentGateway.js';
import type { SigningKey } from '../auth/signingKey.js';
import type { ContainerService } from '../containers/ContainerService.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { MigrationRunner } from '../migrations/MigrationRunner.js';
import type { Store } from '../store/Store.js';
import type { Logger } from '../logger.js';
import type { Sessions } from '../auth/Sessions.js';
import type { SignInLimiter } from '../auth/SignInLimiter.js';
import type { LiveEvents } from '../live/LiveEvents.js';
import type { NodeChooser } from '../placement/NodeChooser.js';
import type { SharedLogStreams } from '../logs/SharedLogStreams.js';
import type { ReleaseCatalog } from '../releases/ReleaseCatalog.js';
import type { RolloutRunner } from '../rollouts/RolloutRunner.js';

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
  /** `/api/events` output is sent as one write at most this often (milliseconds). */
  eventsFlushIntervalMs: number;
  /** In cluster mode, this replica and the failover leader; null in one process. */
  replica: (() => { id: string; leader: string | null }) | null;
  /** The agent builds the server offers, and its release key. */
  catalog: ReleaseCatalog;
  rollouts: RolloutRunner;
  /** How long a join code stays valid unless the request says otherwise. */
  joinCodeTtlMs: number;
  /** Failed join attempts, per client address. */
  joinLimiter: SignInLimiter;
  /** The origin installers and agents reach the server at (`http://host:port`). */
  publicUrl: () => string;
  /** The install script the one-liner pipes to `sh`. */
  installScript: string;
  logger: Logger;
}

/** The SERVER_URL agents dial: the origin they reach the server at, as ws:// or wss://. */
export const agentUrl = (api: Pick<ApiContext, 'publicUrl'>): string => api.publicUrl().replace(/^http/, 'ws');
