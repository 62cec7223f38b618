import { AgentError, type ContainerResult, type Inventory } from '@lormas/protocol';
import type { NodeLiveness } from '../agents/NodeLiveness.js';
import type { Logger } from '../logger.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import type { NodeRecord } from '../store/NodeStore.js';
import type { Store } from '../store/Store.js';
import { NodeChooser } from '../placement/NodeChooser.js';
import { assessNodes, type Assessment, type NodeHealth, type NodeSignal, type Verdict } from './assessNodes.js';
import { retryDelayMs } from './retryDelayMs.js';

/** What failover asks of the nodes; `ContainerService` in the server, a fake in unit tests. */
export interface FailoverActions {
  createCopy(record: ContainerRecord, nodeId: string, start: boolean, operationId?: string): Promise<ContainerResult>;
  copyCommand(nodeId: string, action: 'stop' | 'remove', dockerId: string, timeoutSeconds?: number): Promise<void>;
  place(id: string, nodeId: string, result: ContainerResult): Promise<ContainerRecord>;
  inventory(nodeId: string): Promise<Inventory>;
  /** Containers a planned migration is moving right now; failover leaves them alone. */
  readonly moving: ReadonlySet<string>;
}

export interface FailoverOptions {
  store: Store;
  liveness: NodeLiveness;
  actions: FailoverActions;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
  /** Silence after which a node is lost and its HA containers move. @default 30_000 (milliseconds) */
  lostAfterMs?: number;
  /** Silence after which a node is suspect. @default a third of `lostAfterMs` (milliseconds) */
  suspectAfterMs?: number;
  /** No failover this long after the start: nodes have not had time to dial back. @default `lostAfterMs` (milliseconds) */
  graceMs?: number;
  /** How often nodes are judged; 0 runs no timer (tests call `tick`). @default a tenth of `lostAfterMs`, 50..1_000 (milliseconds) */
  checkIntervalMs?: number;
  /** Delay before the second placement attempt of a container; doubles after. @default 1_000 (milliseconds) */
  retryBaseMs?: number;
  /** @default 30_000 (milliseconds) */
  retryMaxMs?: number;
  /** Where containers go; shared with the API's placement. @default a chooser over `store` and `liveness` judged by this controller */
  chooser?: NodeChooser;
  /**
   * Whether this process is the one judge. In cluster mode only the replica holding the
   * failover lease declares nodes lost and moves containers; the others judge for their
   * views alone. @default always (one process)
   */
  isLeader?: () => boolean;
}

/** A lost node that dialled back: connected again, not yet admitted. Seen in the shared liveness, so a leader on another replica sees it too. */
const isReturning = (live: { status: string; returning?: boolean }) => live.status === 'lost' && live.returning === true;

/**
 * The operation id of creating a failover copy on a target: the same for every attempt of
 * one migration on one target, so a retry (by this leader, or by the next after this one
 * died mid-call) is answered by the agent with the copy it made, not a second copy.
 */
export const copyOperationId = (migrationId: string, target: string) => `failover:${migrationId}:${target}`.slice(0, 128);

/** How long a list of the registered nodes serves the checks before it is read again. */
const NODE_LIST_REFRESH_MS = 10_000;

/** One HA container of a lost node waiting for (or being given) a new node. */
interface Pending {
  migrationId: string;
  containerId: string;
  sourceNodeId: string;
  attempts: number;
  nextAt: number;
  target: string | null;
  inFlight: Promise<void> | null;
}

/**
 * Watches node liveness and moves the HA containers of lost nodes to healthy ones,
 * recording each move in the migration history. When a lost node dials back, `admit`
 * removes its stale copies before it counts as online again: the server's state wins.
 */
export class FailoverController {
  readonly lostAfterMs: number;
  readonly suspectAfterMs: number;
  readonly graceMs: number;
  private since: number;
  private readonly now: () => number;
  private readonly pending = new Map<string, Pending>();
  private readonly returning = new Set<string>();
  /** The last check's assessment, with the position of each node in the list it judged. */
  private last: JudgedList | null = null;
  private holdSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The check in progress: checks never overlap, a slow database makes them less frequent. */
  private ticking: Promise<void> | null = null;
  /**
   * The registered nodes, read again when this replica's store announces a node change, and
   * with a shared store also every `NODE_LIST_REFRESH_MS` (another replica's registrations). Reading every
   * node each tick cost 4 % of a core at 10,000 nodes, for a list that changes by hand.
   */
  private nodeList: { readAt: number; nodes: NodeRecord[] } | null = null;
  /** Counts node changes, so a list read while one happened is not kept. */
  private nodeChanges = 0;
  /**
   * Lost nodes whose HA containers are all pending already, so a check does not read them
   * again: reading each lost node's containers every check cost 5,000 queries a second with
   * 5,000 nodes lost, and delayed every heartbeat behind it. A change of a container on such a
   * node (placed there, moved away, updated) has it read again at the next check; so does
   * every new read of the node list, which also brings the writes of other replicas this one
   * is not told of, and every change of leadership.
   */
  private readonly lostRead = new Set<string>();
  /** Counts container changes, so a lost node whose containers changed while they were read is read again. */
  private containerChanges = 0;
  /**
   * One signal object per node of the list, written afresh at each check: a new one per node
   * and check was 10,000 objects a second at 10,000 nodes, each kept alive (with the rest of
   * the check's garbage) until the next collection. `assessNodes` keeps none of them.
   */
  private signals: { nodes: readonly NodeRecord[]; signals: NodeSignal[]; index: ReadonlyMap<string, number> } | null = null;
  readonly chooser: NodeChooser;
  /** Told of every change of a node's health as the checks see it (the live event stream listens). */
  healthListener: ((nodeId: string, health: NodeHealth) => void) | null = null;

  constructor(private readonly options: FailoverOptions) {
    this.now = options.now ?? Date.now;
    this.lostAfterMs = options.lostAfterMs ?? 30_000;
    this.suspectAfterMs = options.suspectAfterMs ?? Math.round(this.lostAfterMs / 3);
    this.graceMs = options.graceMs ?? this.lostAfterMs;
    for (const [name, value] of Object.entries({ lostAfterMs: this.lostAfterMs, suspectAfterMs: this.suspectAfterMs, graceMs: this.graceMs })) {
      if (!Number.isFinite(value) || value < 0) throw new TypeError(`FailoverController: options.${name} must be a number of milliseconds >= 0`);
    }
    this.since = this.now();
    this.chooser = options.chooser ?? new NodeChooser({ store: options.store, liveness: options.liveness, healthOf: (nodeId) => this.healthOf(nodeId) });
    options.store.changes.on('change', (change) => {
      if (change.kind === 'container') {
        this.containerChanges++;
        for (const record of [change.before, change.after]) if (record) this.lostRead.delete(record.nodeId);
      }
      if (change.kind !== 'node') return;
      this.nodeList = null;
      this.nodeChanges++;
    });
  }

  /** The registered nodes; see `nodeList`. */
  private async nodes(): Promise<NodeRecord[]> {
    // A sqlite store is this process's alone: every write of it is announced, so its list is
    // read again only after a node change. Reading 10,000 nodes held the event loop (and every
    // heartbeat) for 50 to 190 ms.
    const shared = this.options.store.db.dialect !== 'sqlite';
    if (this.nodeList && (!shared || this.now() - this.nodeList.readAt < NODE_LIST_REFRESH_MS)) return this.nodeList.nodes;
    const readAt = this.now();
    const changes = this.nodeChanges;
    const nodes = await this.options.store.nodes.list();
    if (changes === this.nodeChanges) this.nodeList = { readAt, nodes };
    this.lostRead.clear();
    return nodes;
  }

  /** Each node's signal as its liveness shows it now, and how many of them are lost. */
  private signalsOf(nodes: readonly NodeRecord[]): { signals: NodeSignal[]; index: ReadonlyMap<string, number>; lost: number } {
    if (this.signals?.nodes !== nodes) {
      this.signals = {
        nodes,
        signals: nodes.map((node) => ({ nodeId: node.id, lost: false, connected: false, lastSignAt: null, heldUntil: null })),
        index: new Map(nodes.map((node, i) => [node.id, i])),
      };
    }
    const { signals, index } = this.signals;
    let lost = 0;
    for (let i = 0; i < nodes.length; i++) {
      const live = this.options.liveness.get(nodes[i]!.id);
      const signal = signals[i]!;
      const lastSignAt = Math.max(live.lastHeartbeatAt ?? -Infinity, live.connectedSince ?? -Infinity);
      signal.lost = live.status === 'lost';
      signal.connected = live.connectedSince !== null;
      signal.lastSignAt = Number.isFinite(lastSignAt) ? lastSignAt : null;
      signal.heldUntil = live.hold?.untilMs ?? null;
      if (signal.lost) lost++;
    }
    return { signals, index, lost };
  }

  /** When judging began: the start, or the moment this replica became the leader. No failover in the grace window after it. */
  get startedAt(): number {
    return this.since;
  }

  /** Judging for real: the leader, once it has taken over what its predecessor left. */
  private get leading(): boolean {
    return (this.options.isLeader?.() ?? true) && this.takingOver === null;
  }

  /** The takeover in progress: until the moves left running are adopted, a check would start them anew. */
  private takingOver: Promise<void> | null = null;

  /**
   * This replica became the failover leader. Judging starts afresh with the grace window, as
   * Nomad's new leader resets every node's heartbeat timer: nodes whose replica just died are
   * dialling another, and their silence is no reason to move anything. The failovers the
   * previous leader left running are taken over, each on the target it had chosen first, so
   * a copy it was creating when it died is the same operation, answered once by the agent.
   */
  takeOver(): Promise<void> {
    this.since = this.now();
    this.last = null;
    this.holdSince = null;
    this.lostRead.clear();
    this.takingOver = this.adopt().finally(() => (this.takingOver = null));
    return this.takingOver;
  }

  private async adopt(): Promise<void> {
    const { store, logger } = this.options;
    for (const migration of await store.migrations.running('node-lost')) {
      if (this.pending.has(migration.containerId)) continue;
      this.pending.set(migration.containerId, {
        migrationId: migration.id,
        containerId: migration.containerId,
        sourceNodeId: migration.sourceNodeId,
        attempts: 0,
        nextAt: this.now(),
        target: migration.targetNodeId,
        inFlight: null,
      });
      await store.migrations.step(migration.id, 'leader-changed', 'info', 'a new failover leader took this move over');
    }
    logger.info('failover leader', { adopted: this.pending.size, graceMs: this.graceMs });
  }

  /** This replica lost the lease: it stops moving containers; moves in flight finish, the next leader takes over the rest. */
  standDown(): void {
    for (const [containerId, item] of this.pending) if (!item.inFlight) this.pending.delete(containerId);
    this.lostRead.clear();
    this.options.logger.info('failover leadership lost');
  }

  start(): void {
    const interval = this.options.checkIntervalMs ?? Math.min(1_000, Math.max(50, Math.round(this.lostAfterMs / 10)));
    if (interval > 0 && !this.timer) this.timer = setInterval(() => void this.tick(), interval);
    // Judged at once, so the API shows the grace hold and every node from the first moment.
    void this.tick();
  }

  /** Stops judging; placements in flight finish on their own. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Judges every node, declares the silent ones lost, and places what is due. Resolves when done; a check already running is joined. */
  tick(): Promise<void> {
    this.ticking ??= this.check()
      .catch((error: unknown) => this.options.logger.error('failover check failed', { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async check(): Promise<void> {
    const { liveness, logger } = this.options;
    const nodes = await this.nodes();
    const previous = this.last;
    const previousHold = previous?.hold ?? null;
    const leading = this.leading;
    const { signals, index, lost } = this.signalsOf(nodes);
    const assessment = assessNodes({
      now: this.now(),
      startedAt: this.since,
      memory: previous?.memory ?? null,
      windows: { lostAfterMs: this.lostAfterMs, suspectAfterMs: this.suspectAfterMs, graceMs: this.graceMs },
      nodes: signals,
    });
    this.last = { ...assessment, index };
    // Only the leader judges for real: a follower's view is its own, and it announces nothing.
    if (!leading) return;
    if (this.healthListener) {
      // The list the check before judged (nearly always): the verdicts compare by position.
      const before = previous?.index === index ? previous.verdicts : null;
      const { verdicts } = this.last;
      for (let i = 0; i < nodes.length; i++) {
        const judged = verdicts[i]!;
        const was = before ? before[i] : previous && verdictIn(previous, nodes[i]!.id);
        if (was?.health !== judged.health) this.healthListener(nodes[i]!.id, judged.health);
      }
    }
    const { hold } = this.last;
    if (hold !== previousHold) {
      this.holdSince = hold ? this.now() : null;
      if (hold === 'majority-silent') logger.warn('failover held: more than half of the nodes are silent; the server is probably the one cut off', { nodes: nodes.length });
      else if (hold === 'grace') logger.info('failover held: start-up grace window', { graceMs: this.graceMs });
      else logger.info('failover resumed', { after: previousHold ?? 'start' });
    }
    for (const nodeId of this.last.newlyLost) {
      logger.warn('node lost', { node: nodeId, silentMs: verdictIn(this.last, nodeId)?.silentMs });
      liveness.markLost(nodeId);
    }
    // In cluster mode a heartbeat written meanwhile by the node's replica may undo a `lost`: moves start from what was written.
    if (this.last.newlyLost.length > 0) await liveness.settled();
    if (hold) return;
    // No node lost (nearly always): nothing to read. A node lost meanwhile by another replica's
    // write (in cluster mode) is read at the next check, as one lost just after this one is.
    if (lost > 0 || this.last.newlyLost.length > 0 || this.lostRead.size > 0) await this.enqueueLostContainers(nodes);
    for (const item of [...this.pending.values()]) if (!item.inFlight && item.nextAt <= this.now()) await this.attempt(item);
  }

  /**
   * Holds failover for a node until `untilMs` (epoch ms): it is not declared lost before, and
   * its silence counts from then. A rollout holds each node it upgrades, so an upgrade never
   * moves a container, whatever the lost-after window. The hold is kept in the node's
   * liveness, which in cluster mode every replica shares: the rollout may run on one replica
   * and the failover leader on another.
   */
  hold(nodeId: string, untilMs: number): void {
    this.options.liveness.hold(nodeId, untilMs);
  }

  /** Ends a node's hold now; its silence counts from now. */
  release(nodeId: string): void {
    this.options.liveness.release(nodeId);
  }

  /** Resolves once no placement is in flight (for tests and shutdown). */
  async idle(): Promise<void> {
    while ([...this.pending.values()].some((item) => item.inFlight)) {
      await Promise.all([...this.pending.values()].map((item) => item.inFlight));
    }
  }

  /**
   * The gate a lost node passes before it counts as online again: its pending moves are
   * cancelled (those in flight are awaited), then every copy it still holds of a container
   * the server placed elsewhere is stopped and removed.
   */
  async admit(nodeId: string): Promise<void> {
    this.returning.add(nodeId);
    try {
      // In cluster mode the leader may be another replica: it cancels this node's pending moves
      // when it sees the node back; the ones in flight are awaited here through the shared history.
      if (!this.leading) await this.awaitMovesFrom(nodeId);
      const mine = [...this.pending.values()].filter((item) => item.sourceNodeId === nodeId);
      await Promise.all(mine.map((item) => item.inFlight));
      for (const item of mine) {
        if (this.pending.get(item.containerId) !== item) continue;
        this.pending.delete(item.containerId);
        await this.options.store.migrations.step(item.migrationId, 'node-returned', 'info', 'the lost node dialled back before a target took the container');
        await this.options.store.migrations.finish(item.migrationId, 'cancelled');
      }
      await this.removeStaleCopies(nodeId);
    } finally {
      this.returning.delete(nodeId);
    }
  }

  private async awaitMovesFrom(nodeId: string, timeoutMs = 60_000): Promise<void> {
    const deadline = this.now() + timeoutMs;
    while ((await this.options.store.migrations.running('node-lost')).some((m) => m.sourceNodeId === nodeId)) {
      if (this.now() > deadline) throw new Error(`moves of node ${nodeId} are still running after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** A target for `record` among the healthy nodes other than its own, or null. */
  async chooseTargetFor(record: ContainerRecord): Promise<string | null> {
    const source = await this.options.store.nodes.get(record.nodeId);
    return (await this.chooser.choose({ exclude: record.nodeId, sourceClusterId: source?.clusterId ?? null, preferredClusterId: record.preferredClusterId }))?.nodeId ?? null;
  }

  /** What the API shows: windows, the hold and its reason, each node's health, pending moves. */
  status() {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      lostAfterMs: this.lostAfterMs,
      suspectAfterMs: this.suspectAfterMs,
      graceMs: this.graceMs,
      graceEndsAt: iso(this.since + this.graceMs),
      /** Whether this process judges: always in one process; in a cluster, on the replica holding the lease. */
      judging: this.leading,
      hold: this.last?.hold ?? null,
      holdSince: this.holdSince === null ? null : iso(this.holdSince),
      nodes: [...(this.last?.index ?? [])].map(([nodeId, i]) => ({ nodeId, ...this.last!.verdicts[i]! })),
      pending: [...this.pending.values()].map((item) => ({
        containerId: item.containerId,
        migrationId: item.migrationId,
        sourceNodeId: item.sourceNodeId,
        attempts: item.attempts,
        nextAttemptAt: item.inFlight ? null : iso(item.nextAt),
      })),
    };
  }

  /** Health of one node as of the last check; `online` before the first. */
  healthOf(nodeId: string) {
    return (this.last && verdictIn(this.last, nodeId)) ?? null;
  }

  private async enqueueLostContainers(nodes: readonly NodeRecord[]): Promise<void> {
    const { store, liveness, actions } = this.options;
    for (const node of nodes) {
      const live = liveness.get(node.id);
      if (live.status !== 'lost' || this.returning.has(node.id) || isReturning(live)) {
        this.lostRead.delete(node.id);
        continue;
      }
      if (this.lostRead.has(node.id)) continue;
      const changes = this.containerChanges;
      // A container a planned migration is moving is left alone now and looked at again later.
      let complete = true;
      for (const record of await store.containers.list(node.id)) {
        if (actions.moving.has(record.id)) complete = false;
        if (!record.ha || this.pending.has(record.id) || actions.moving.has(record.id)) continue;
        const migration = await store.migrations.start({ containerId: record.id, containerName: record.name, trigger: 'node-lost', sourceNodeId: node.id, targetNodeId: null });
        await store.migrations.step(migration.id, 'node-lost', 'info', `no heartbeat for more than ${this.lostAfterMs} ms`);
        this.pending.set(record.id, { migrationId: migration.id, containerId: record.id, sourceNodeId: node.id, attempts: 0, nextAt: this.now(), target: null, inFlight: null });
      }
      if (complete && changes === this.containerChanges) this.lostRead.add(node.id);
    }
  }

  private async attempt(item: Pending): Promise<void> {
    const { store, actions, logger } = this.options;
    const record = await store.containers.get(item.containerId);
    const returned = this.returning.has(item.sourceNodeId) || isReturning(this.options.liveness.get(item.sourceNodeId));
    if (!record || record.nodeId !== item.sourceNodeId || returned) {
      this.pending.delete(item.containerId);
      if (returned && record) await store.migrations.step(item.migrationId, 'node-returned', 'info', 'the lost node dialled back before a target took the container');
      await store.migrations.finish(item.migrationId, 'cancelled', record ? null : 'the container was removed');
      return;
    }
    // A move taken over from the previous leader goes to the target it chose, while that node can take it.
    const adopted = item.target !== null && item.attempts === 0 && (await this.chooser.candidates(record.nodeId)).some((c) => c.nodeId === item.target) ? item.target : null;
    const target = adopted ?? (await this.chooseTargetFor(record));
    if (!target) return this.retryLater(item, 'choose-target', 'no healthy node can take it');
    item.target = target;
    const release = this.chooser.reserve(target);
    const start = record.desiredState === 'running';
    item.inFlight = (async () => {
      try {
        await store.migrations.setTarget(item.migrationId, target);
        await store.migrations.step(item.migrationId, 'choose-target', 'ok', target);
        // The source is unreachable: its volumes cannot be copied, so the target's named volumes start empty.
        const result = await actions.createCopy(record, target, start, copyOperationId(item.migrationId, target));
        await store.migrations.step(item.migrationId, start ? 'create-and-start-target' : 'create-target', 'ok', `${result.containerId.slice(0, 12)} ${result.state}`);
        await actions.place(record.id, target, result);
        this.pending.delete(item.containerId);
        await store.migrations.finish(item.migrationId, 'succeeded');
        logger.info('container failed over', { container: record.id, from: item.sourceNodeId, to: target });
      } catch (error) {
        const agentError = AgentError.from(error);
        await this.retryLater(item, 'create-target', `${agentError.code}: ${agentError.message}`);
      } finally {
        release();
        item.inFlight = null;
      }
    })();
  }

  private async retryLater(item: Pending, step: string, why: string): Promise<void> {
    item.attempts += 1;
    const delay = retryDelayMs(item.attempts, { baseMs: this.options.retryBaseMs ?? 1_000, maxMs: this.options.retryMaxMs ?? 30_000 });
    item.nextAt = this.now() + delay;
    await this.options.store.migrations.step(item.migrationId, step, 'failed', `${why}; attempt ${item.attempts}, next in ${delay} ms`);
    this.options.logger.warn('failover attempt failed', { container: item.containerId, attempt: item.attempts, why, retryInMs: delay });
  }

  private async removeStaleCopies(nodeId: string): Promise<void> {
    const { store, actions, logger } = this.options;
    const inventory = await actions.inventory(nodeId);
    for (const copy of inventory.containers) {
      const record = copy.serverId ? await store.containers.get(copy.serverId) : null;
      if (!record || record.nodeId === nodeId) continue;
      try {
        await actions.copyCommand(nodeId, 'stop', copy.id, record.spec.stopTimeoutSeconds ?? 10);
        await actions.copyCommand(nodeId, 'remove', copy.id);
      } catch (error) {
        // Gone already is what was wanted.
        if (AgentError.from(error).code !== 'NOT_FOUND') throw error;
      }
      const migration = (await store.migrations.list(record.id)).filter((m) => m.sourceNodeId === nodeId).at(-1);
      if (migration) await store.migrations.step(migration.id, 'remove-stale-source', 'ok', copy.id.slice(0, 12));
      logger.info('stale copy removed', { node: nodeId, container: record.id, docker: copy.id.slice(0, 12) });
    }
  }
}

/** An assessment, with the position of each node in the list it judged. */
type JudgedList = Assessment & { index: ReadonlyMap<string, number> };

/** A node's verdict in an assessment, found by its position in the list judged. */
function verdictIn(judged: JudgedList, nodeId: string): Verdict | undefined {
  const i = judged.index.get(nodeId);
  return i === undefined ? undefined : judged.verdicts[i];
}
