import type { LiveEventMap } from '../../src/http/apiTypes.js';
import { api } from './api.js';
import type { FleetState } from './FleetState.js';

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'closed';

const EVENT_TYPES = ['node', 'heartbeats', 'cluster', 'container', 'migration', 'rollout'] as const;

/**
 * The page's one link to the server's changes: `GET /api/events`. It fetches a snapshot when
 * the stream says `hello` (a new reader) or `reset` (it missed more than the server holds);
 * otherwise it applies events. Events that arrive while a snapshot loads wait for it. The
 * browser's EventSource reconnects by itself with `Last-Event-ID`. No polling: after the
 * snapshot, every change arrives on the stream.
 */
export class LiveStream {
  private source: EventSource | null = null;
  private queue: [keyof LiveEventMap, unknown][] | null = null;
  state: LinkState = 'closed';
  onState: (state: LinkState) => void = () => {};
  onClosedForGood: () => void = () => {};

  constructor(private readonly fleet: FleetState) {}

  open(): void {
    this.close();
    const source = new EventSource('/api/events');
    this.source = source;
    this.setState('connecting');
    source.addEventListener('open', () => this.setState('live'));
    source.addEventListener('error', () => {
      // CLOSED: the browser gave up (an answer that was not a stream, e.g. 401 after the session ended).
      if (source.readyState === EventSource.CLOSED) {
        this.setState('closed');
        this.onClosedForGood();
      } else this.setState('reconnecting');
    });
    source.addEventListener('hello', () => void this.snapshot());
    source.addEventListener('reset', () => void this.snapshot());
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (event) => {
        const data = JSON.parse((event as MessageEvent<string>).data) as unknown;
        if (this.queue) this.queue.push([type, data]);
        else this.fleet.apply(type, data as never);
      });
    }
  }

  close(): void {
    this.source?.close();
    this.source = null;
    this.setState('closed');
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  private async snapshot(): Promise<void> {
    this.queue ??= [];
    try {
      const [nodes, clusters, containers, migrations, samples, rollouts] = await Promise.all([
        api('GET /api/nodes', {}),
        api('GET /api/clusters', {}),
        api('GET /api/containers', {}),
        api('GET /api/migrations', {}),
        api('GET /api/samples', {}),
        api('GET /api/agents/rollouts', {}),
      ]);
      this.fleet.load({
        nodes: nodes.nodes,
        clusters: clusters.clusters,
        containers: containers.containers,
        migrations: migrations.migrations,
        rollouts: rollouts.rollouts,
        samples: samples.nodes,
        samplesPerNode: samples.samplesPerNode,
      });
    } finally {
      const queued = this.queue ?? [];
      this.queue = null;
      for (const [type, data] of queued) this.fleet.apply(type, data as never);
    }
  }
}
