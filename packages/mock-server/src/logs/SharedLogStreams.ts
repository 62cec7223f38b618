import { AgentError, type LogEntry } from '@lormas/protocol';

/** Whoever reads a shared stream: an HTTP response, in the server. */
export interface LogViewer {
  entries(entries: readonly LogEntry[]): void;
  /** The agent's stream ended (the container stopped) or failed; the viewer is dropped. */
  end(error: AgentError | null): void;
}

/** Opens the one agent stream of a container, following after the last `tail` lines; `logRoutes` passes the gateway's client. */
export type OpenAgentStream = (handlers: { onEntries(entries: readonly LogEntry[]): void; onError(error: unknown): void; onComplete(): void }, tail: number) => { unsubscribe(): void };

export interface SharedLogStreamsOptions {
  /**
   * Lines each shared stream keeps for viewers who join later, and the most a shared view
   * may ask to see from before it joined. @default 1_000 (lines)
   */
  tailLines?: number;
}

interface Shared {
  recent: LogEntry[];
  viewers: Set<LogViewer>;
  subscription: { unsubscribe(): void } | null;
}

/**
 * Followed logs of a container, one agent subscription shared by every viewer: the
 * dashboard's log panes, however many tabs hold them open, cost the agent one stream per
 * container instead of one each. The stream opens with the first viewer, with that viewer's
 * `tail`, and closes with the last; a viewer who joins later gets the recent lines first
 * (at most what the stream has seen: the first viewer's tail and the lines since), then
 * the live ones. The dashboard always asks the same tail, so its viewers all see the same.
 */
export class SharedLogStreams {
  readonly tailLines: number;
  private readonly shared = new Map<string, Shared>();

  constructor(options: SharedLogStreamsOptions = {}) {
    this.tailLines = options.tailLines ?? 1_000;
    if (!Number.isInteger(this.tailLines) || this.tailLines < 0) throw new TypeError('SharedLogStreams: options.tailLines must be a whole number of lines >= 0');
  }

  /** Agent streams open right now. */
  get open(): number {
    return this.shared.size;
  }

  /**
   * Adds `viewer` to the shared stream named `key` (container and Docker id), opening it
   * with `openStream` if it is the first. `tail` lines from before are sent first. Returns
   * the function that removes the viewer.
   */
  join(key: string, viewer: LogViewer, tail: number, openStream: OpenAgentStream): () => void {
    let shared = this.shared.get(key);
    if (!shared) {
      const created: Shared = { recent: [], viewers: new Set(), subscription: null };
      this.shared.set(key, (shared = created));
      const finish = (error: AgentError | null) => {
        if (this.shared.get(key) !== created) return;
        this.shared.delete(key);
        for (const each of created.viewers) each.end(error);
        created.viewers.clear();
      };
      created.viewers.add(viewer);
      created.subscription = openStream(
        {
          onEntries: (entries) => {
            created.recent.push(...entries);
            if (created.recent.length > this.tailLines) created.recent.splice(0, created.recent.length - this.tailLines);
            for (const each of [...created.viewers]) each.entries(entries);
          },
          onError: (error) => finish(AgentError.from(error)),
          onComplete: () => finish(null),
        },
        Math.min(tail, this.tailLines),
      );
      // openStream may have ended the stream synchronously.
      if (this.shared.get(key) !== created) return () => {};
    } else {
      const backlog = tail > 0 ? shared.recent.slice(-tail) : [];
      if (backlog.length) viewer.entries(backlog);
      shared.viewers.add(viewer);
    }
    const joined = shared;
    return () => {
      if (!joined.viewers.delete(viewer) || joined.viewers.size > 0) return;
      if (this.shared.get(key) === joined) this.shared.delete(key);
      joined.subscription?.unsubscribe();
    };
  }
}
