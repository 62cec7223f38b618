import type { RolloutNodeView, RolloutView } from '../http/apiTypes.js';

/** A node's part in a rollout, times in epoch ms. */
export type RolloutNode = Omit<RolloutNodeView, 'startedAt' | 'endedAt'> & { startedAt: number | null; endedAt: number | null };

/** A rollout, times in epoch ms. Kept in memory: a server restart ends it where it was. */
export type Rollout = Omit<RolloutView, 'startedAt' | 'endedAt' | 'nodes'> & { startedAt: number; endedAt: number | null; nodes: RolloutNode[] };
