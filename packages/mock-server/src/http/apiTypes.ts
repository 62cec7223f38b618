/**
 * The HTTP API's types: request bodies, views and one route map. The server's views are
 * written against these, and the dashboard imports them with `import type` only, so its
 * calls are checked against the server at compile time and no server code enters its bundle.
 */
import type { ContainerSpecInput, EngineHealth, Heartbeat, Hello, OperationEvent, ReleaseManifest } from '@lormas/protocol';

/** An ISO 8601 time, as every view writes times. */
export type IsoTime = string;

export type NodeLiveStatus = 'online' | 'offline' | 'lost';
export type NodeHealthName = 'online' | 'suspect' | 'lost';

export interface ClusterRef {
  id: string;
  name: string;
}

export interface NodeView {
  id: string;
  name: string;
  description: string | null;
  cluster: ClusterRef | null;
  createdAt: IsoTime | null;
  /** The agent's link: `online`, `offline`, or `lost` until a returning node is reconciled. */
  status: NodeLiveStatus;
  /** Failover's judgement from heartbeats: `online`, `suspect` (missed beats) or `lost`. */
  health: NodeHealthName | null;
  silentMs: number | null;
  connectedSince: IsoTime | null;
  lastHeartbeatAt: IsoTime | null;
  agentVersion: string | null;
  protocolVersion: string | null;
  runtime: { name: 'node' | 'bun'; version: string } | null;
  /** How the agent runs (`js`, `exe`, `source`) and on which CPU; null before protocol 1.1. */
  build: NonNullable<Hello['build']> | null;
  /** Whether the agent takes remote upgrades, with its release key's fingerprint; null before protocol 1.1. */
  upgrades: NonNullable<Hello['upgrades']> | null;
  /** How the node's last handover to a new build ended. */
  lastUpgrade: NonNullable<Hello['lastUpgrade']> | null;
  /** The agent against the server's newest build, see `UpgradeView`. */
  upgrade: UpgradeView;
  /** The last time the server refused the node's agent for its version (4426), and why. */
  refused: { code: number; reason: string; at: IsoTime } | null;
  engine: EngineHealth | null;
  cpu: Heartbeat['cpu'] | null;
  memory: Heartbeat['memory'] | null;
  disk: Heartbeat['disk'] | null;
  containers: Heartbeat['containers'] | null;
  uptime: Heartbeat['uptime'] | null;
  /** In cluster mode, the replica that holds (or last held) the node's socket; null in one process. */
  replica: string | null;
}

/**
 * `current`: the agent runs the server's newest build (or the server offers none).
 * `available`: a newer build exists and the agent takes remote upgrades (a rollout can bring it).
 * `by-hand`: a newer build exists, but the agent cannot take it remotely (protocol 1.0, no
 * release key, no launcher): its upgrade is by hand. `unknown`: the agent has not said its version.
 */
export interface UpgradeView {
  status: 'current' | 'available' | 'by-hand' | 'unknown';
  /** The server's newest version, or null when it offers none. */
  latest: string | null;
  reason: string | null;
}

export interface ClusterView {
  id: string;
  name: string;
  description: string | null;
  createdAt: IsoTime | null;
  /** Ids of the live nodes in the cluster. */
  nodes: string[];
}

export interface ContainerView {
  id: string;
  name: string;
  nodeId: string;
  image: string;
  ha: boolean;
  preferredClusterId: string | null;
  fenceAfterMs: number | null;
  desiredState: 'running' | 'stopped';
  /** The last state the agent reported (`running`, `exited`...), `missing`, or null before the first. */
  state: string | null;
  /** The agent stopped the container because a guard rail no longer held (a bind source now leading to /etc); null since it last started. */
  guardRailStop?: { rule: string; message: string; at: IsoTime } | null;
  dockerId: string | null;
  spec: ContainerSpecInput;
  createdAt: IsoTime;
  updatedAt: IsoTime;
}

/** Where `POST /api/containers` put a container it placed itself, and why there. */
export interface PlacementView {
  nodeId: string;
  nodeName: string;
  /** `cluster` when a cluster was named, `any` when neither a node nor a cluster was. */
  scope: 'cluster' | 'any';
  reason: string;
  /** Every node that was eligible, in the order of preference. */
  candidates: { nodeId: string; nodeName: string; containers: number; cpuPercent: number; memoryPercent: number }[];
}

export type CreatedContainerView = ContainerView & { placement: PlacementView | null };

export interface MigrationStepView {
  name: string;
  status: 'ok' | 'failed' | 'info';
  detail: string | null;
  at: IsoTime;
}

export interface MigrationView {
  id: string;
  containerId: string;
  containerName: string;
  trigger: 'node-lost' | 'manual';
  sourceNodeId: string;
  targetNodeId: string | null;
  status: 'running' | 'succeeded' | 'rolled-back' | 'failed' | 'cancelled';
  error: string | null;
  startedAt: IsoTime;
  endedAt: IsoTime | null;
  steps: MigrationStepView[];
}

export interface SampleView {
  at: number;
  cpuPercent: number;
  memoryPercent: number;
}

/**
 * What one heartbeat changes of a node's view (`NodeView`): its link and health, the time
 * of the beat, and the figures it reported; with the sparkline sample it gave, if any. A
 * reader merges it into the node it knows; a node it does not know yet comes with its own
 * `node` event.
 */
export type HeartbeatView = Pick<NodeView, 'id' | 'status' | 'health' | 'silentMs' | 'lastHeartbeatAt' | 'engine' | 'cpu' | 'memory' | 'disk' | 'containers' | 'uptime'> & {
  sample: SampleView | null;
};

export interface SessionView {
  /** Send as `X-CSRF-Token` with every call that changes something. */
  csrfToken: string;
  expiresAt: IsoTime;
  /** Optional routes this server has, so a page offers only what works. */
  features: { rotateNodeToken: boolean };
  /** The SERVER_URL agents dial: `PUBLIC_URL` (else the listening address) as ws:// or wss://, for the install lines a page shows. */
  agentUrl: string;
}

export interface ErrorView {
  error: { code: string; message: string; issues?: { code: string; path: (string | number)[]; message: string }[]; rule?: string; engineStatus?: number };
}

/** The body of `POST /api/containers`: `nodeId`, or `cluster` (id or name), or neither for any node. */
export interface CreateContainerBody {
  nodeId?: string;
  cluster?: string;
  spec: ContainerSpecInput;
  ha?: boolean;
  start?: boolean;
  preferredCluster?: string;
  fenceAfterMs?: number;
}

/** A node's part in a rollout. */
export interface RolloutNodeView {
  nodeId: string;
  nodeName: string;
  /** The agent's version when the rollout reached the node (or started, before that). */
  fromVersion: string | null;
  /** `skipped`: the node cannot take the build remotely, or was away; `detail` says why. */
  status: 'pending' | 'upgrading' | 'succeeded' | 'failed' | 'skipped';
  detail: string | null;
  startedAt: IsoTime | null;
  endedAt: IsoTime | null;
}

/** A rollout of an agent build to the fleet, in batches. */
export interface RolloutView {
  id: string;
  version: string;
  batchSize: number;
  maxUnavailable: number;
  /** `halted`: a node failed, and no node after it was started. */
  status: 'running' | 'succeeded' | 'halted';
  error: string | null;
  startedAt: IsoTime;
  endedAt: IsoTime | null;
  nodes: RolloutNodeView[];
}

/** An agent build the server offers (`RELEASES_DIR`). */
export interface ReleaseView extends ReleaseManifest {
  file: string;
  /** Where it is downloaded: `/agent/builds/<sha256>`. */
  path: string;
}

/** `POST /api/nodes/:id/join`: a single-use join code and the one-line install that uses it. */
export interface JoinCodeView {
  nodeId: string;
  code: string;
  expiresAt: IsoTime;
  /** `curl ... | LORMAS_JOIN_CODE=... sudo --preserve-env=LORMAS_JOIN_CODE sh -s -- ...`, or null when the server offers no builds or no release key. */
  command: string | null;
  /** Why there is no command, when there is none. */
  note: string | null;
}

/** What `GET /api/events` sends: the SSE event name and its data. */
export interface LiveEventMap {
  hello: { epoch: string };
  reset: { reason: string };
  node: { action: 'registered' | 'updated' | 'online' | 'offline' | 'suspect' | 'lost' | 'revoked'; node: NodeView };
  heartbeats: { nodes: HeartbeatView[] };
  cluster: { action: 'created' | 'updated' | 'deleted'; cluster: ClusterView };
  container: { action: 'created' | 'started' | 'stopped' | 'died' | 'moved' | 'removed' | 'updated'; container: ContainerView; previousNodeId: string | null };
  migration: { action: 'started' | 'step' | 'finished'; migration: MigrationView };
  rollout: { action: 'started' | 'progress' | 'finished'; rollout: RolloutView };
}

/** One NDJSON line of a streamed create or pull. */
export type ProgressLine = OperationEvent | { type: 'result'; result: unknown } | { type: 'error'; error: ErrorView['error'] };

/**
 * Every JSON route: `"METHOD /path/:param"` to its body and its answer. Streams (`/logs`,
 * `/api/events`, NDJSON progress) are listed with the answer of their plain form.
 */
export interface ApiRoutes {
  'POST /api/session': { body: { token: string }; reply: SessionView };
  'GET /api/session': { body: undefined; reply: SessionView };
  'DELETE /api/session': { body: undefined; reply: { signedOut: true } };
  'GET /api/nodes': { body: undefined; reply: { nodes: NodeView[] } };
  'GET /api/nodes/:id': { body: undefined; reply: NodeView };
  'POST /api/nodes': { body: { name: string; description?: string | null; cluster?: string | null }; reply: { id: string; name: string; cluster: string | null; token: string } };
  'PATCH /api/nodes/:id': { body: { description?: string | null; cluster?: string | null }; reply: NodeView };
  'DELETE /api/nodes/:id': { body: undefined; reply: { id: string; name: string; revokedAt: IsoTime; forgottenContainers: number } };
  'POST /api/nodes/:id/token': { body: undefined; reply: { id: string; name: string; token: string } };
  'POST /api/nodes/:id/join': { body: { ttlSeconds?: number }; reply: JoinCodeView };
  'GET /api/agents/releases': {
    body: undefined;
    /** `agentUrl`: the SERVER_URL agents dial, `PUBLIC_URL` (else the listening address) as ws:// or wss://. */
    reply: { releaseKey: { publicKey: string; fingerprint: string } | null; latest: string | null; releases: ReleaseView[]; agentUrl: string };
  };
  'POST /api/agents/rollout': { body: { version: string; batchSize?: number; maxUnavailable?: number; nodeIds?: string[] }; reply: RolloutView };
  'GET /api/agents/rollouts': { body: undefined; reply: { rollouts: RolloutView[] } };
  'GET /api/agents/rollouts/:id': { body: undefined; reply: RolloutView };
  'GET /api/samples': { body: undefined; reply: { samplesPerNode: number; sampleIntervalMs: number; nodes: Record<string, SampleView[]> } };
  'GET /api/clusters': { body: undefined; reply: { clusters: ClusterView[] } };
  'POST /api/clusters': { body: { name: string; description?: string | null }; reply: ClusterView };
  'PATCH /api/clusters/:id': { body: { name?: string; description?: string | null }; reply: ClusterView };
  'DELETE /api/clusters/:id': { body: undefined; reply: { id: string; name: string; deleted: true; unassignedNodes: number; clearedPreferences: number } };
  'GET /api/containers': { body: undefined; reply: { containers: ContainerView[] } };
  'GET /api/containers/:id': { body: undefined; reply: ContainerView };
  'POST /api/containers': { body: CreateContainerBody; reply: CreatedContainerView };
  'POST /api/containers/:id/start': { body: undefined; reply: ContainerView };
  'POST /api/containers/:id/stop': { body: { timeoutSeconds?: number }; reply: ContainerView };
  'POST /api/containers/:id/restart': { body: { timeoutSeconds?: number }; reply: ContainerView };
  'DELETE /api/containers/:id': { body: undefined; reply: { id: string; name: string; removed: true } };
  'POST /api/containers/:id/migrate': { body: { targetNodeId?: string }; reply: MigrationView };
  'GET /api/migrations': { body: undefined; reply: { migrations: MigrationView[] } };
  'GET /api/migrations/:id': { body: undefined; reply: MigrationView };
}

export type ApiRoute = keyof ApiRoutes;
