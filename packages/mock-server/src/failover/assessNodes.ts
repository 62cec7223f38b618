/** How failover sees a node: `suspect` after missed heartbeats, `lost` after the lost-after window. */
export type NodeHealth = 'online' | 'suspect' | 'lost';

/** Why failover is holding back: the start-up grace window, or most nodes silent at once. */
export type HoldReason = 'grace' | 'majority-silent';

export interface NodeSignal {
  nodeId: string;
  /** Declared lost earlier and not admitted back since. */
  lost: boolean;
  connected: boolean;
  /** Epoch milliseconds of the last heartbeat or connect, or null for none since start. */
  lastSignAt: number | null;
  /**
   * Failover holds this node until then (epoch ms): an upgrade's planned gap. Its silence
   * counts from the hold's end, never from before, so it is declared lost no sooner than the
   * full window after the hold.
   */
  heldUntil?: number | null;
}

export interface HealthWindows {
  /** Silence after which a node is lost. */
  lostAfterMs: number;
  /** Silence after which a node is suspect (missed heartbeats). */
  suspectAfterMs: number;
  /** Time after the server's start with no failover. */
  graceMs: number;
}

/**
 * What one assessment tells the next about majority-silent holds. Time spent in such a hold
 * is no node's silence: the server was probably the one cut off.
 */
export interface HoldMemory {
  /** When the current majority-silent hold began, or null when there is none. */
  heldSince: number | null;
  /** When the last long majority-silent hold ended: silence before it says nothing about a node. */
  silenceResetAt: number | null;
  /** Briefer holds of the last `HOLD_MEMORY_WINDOWS` lost-after windows, as [from, to]: their time is subtracted from each silence. */
  briefHolds: readonly (readonly [number, number])[];
}

export interface AssessInput {
  now: number;
  /** When the server started: no node can have been silent for longer. */
  startedAt: number;
  /** The previous assessment's memory, or null for the first. */
  memory: HoldMemory | null;
  nodes: readonly NodeSignal[];
  windows: HealthWindows;
}

export interface Verdict {
  health: NodeHealth;
  silentMs: number;
}

export interface Assessment {
  /**
   * The verdicts, in the order of the input's `nodes`. No map by id is made here: at one check
   * a second, a new map of 10,000 nodes (half a megabyte, each kept until the next check) was
   * most of what the checks left to the collector. A caller that judges the same list again
   * keeps its own index of it.
   */
  verdicts: readonly Verdict[];
  hold: HoldReason | null;
  /** Nodes lost as of this assessment and not before. */
  newlyLost: string[];
  /** For the next assessment. */
  memory: HoldMemory;
}

const NO_MEMORY: HoldMemory = { heldSince: null, silenceResetAt: null, briefHolds: [] };

/**
 * Brief holds are remembered for this many lost-after windows. A node's silence can begin
 * earlier than it seemed at the last check (its connect, the latest sign of life, is
 * forgotten when it drops again before a heartbeat), so holds are not forgotten by the
 * silences judged now but by age: a node silent for longer than this has its older holds
 * counted as silence. At one check a second that is at most 300 holds, 10 at the defaults.
 */
const HOLD_MEMORY_WINDOWS = 10;

/** Milliseconds of the holds that fall in [from, to]. */
function heldWithin(holds: HoldMemory['briefHolds'], from: number, to: number): number {
  let held = 0;
  for (const [start, end] of holds) held += Math.max(0, Math.min(end, to) - Math.max(start, from));
  return held;
}

/**
 * Judges every node at one instant. Pure: the caller supplies the clock. A node silent for
 * longer than the window is declared lost only when failover is not held. While more than
 * half of the nodes are silent the server itself is probably cut off, so nobody is declared
 * lost, and the time of that hold is no node's silence. A hold longer than the lost-after
 * window restarts every silence when it ends: every node would have been lost meanwhile, so
 * their agents are probably redialling, with backoff. A briefer hold (in a small fleet, one
 * late heartbeat of the one healthy node) only pauses the silences; restarting them would let
 * a node that keeps being late shield a lost one from failover for ever.
 */
export function assessNodes(input: AssessInput): Assessment {
  const { now, windows } = input;
  const memory = input.memory ?? NO_MEMORY;
  let { silenceResetAt, briefHolds } = memory;
  const judge = (node: NodeSignal): Verdict => {
    const baseline = Math.max(input.startedAt, silenceResetAt ?? -Infinity);
    const held = node.heldUntil == null ? -Infinity : Math.min(now, node.heldUntil);
    const silentMs = Math.max(0, now - Math.max(node.lastSignAt ?? -Infinity, held, baseline));
    const health: NodeHealth = node.lost ? 'lost' : !node.connected || silentMs > windows.suspectAfterMs ? 'suspect' : 'online';
    return { health, silentMs };
  };
  // Each node is judged once a check (10,000 nodes a second), and again only when the end of
  // a long majority-silent hold moves the baseline of every silence.
  let judged = input.nodes.map(judge);
  const holdNow = (): HoldReason | null => {
    if (now < input.startedAt + windows.graceMs) return 'grace';
    let silent = 0;
    for (const node of judged) if (node.health !== 'online') silent += 1;
    return silent * 2 > input.nodes.length ? 'majority-silent' : null;
  };

  let hold = holdNow();
  let heldSince = memory.heldSince;
  if (hold === 'majority-silent') heldSince ??= now;
  else if (heldSince !== null) {
    if (now - heldSince > windows.lostAfterMs) {
      silenceResetAt = now;
      briefHolds = [];
      judged = input.nodes.map(judge);
      hold = holdNow();
    } else {
      briefHolds = [...briefHolds, [heldSince, now]];
    }
    heldSince = null;
  }
  const newlyLost: string[] = [];
  const forgetBefore = now - HOLD_MEMORY_WINDOWS * windows.lostAfterMs;
  if (briefHolds.length > 0 && briefHolds[0]![1] <= forgetBefore) briefHolds = briefHolds.filter(([, end]) => end > forgetBefore);
  input.nodes.forEach((node, i) => {
    const verdict = judged[i]!;
    // Heartbeats decide, not the socket: a half-open socket behind a partition still looks connected.
    // The holds are looked at only for a node silent past the window: they can only shorten a silence.
    if (hold || node.lost || verdict.silentMs <= windows.lostAfterMs) return;
    if (verdict.silentMs - heldWithin(briefHolds, now - verdict.silentMs, now) > windows.lostAfterMs) {
      verdict.health = 'lost';
      newlyLost.push(node.nodeId);
    }
  });
  return { verdicts: judged, hold, newlyLost, memory: { heldSince, silenceResetAt, briefHolds } };
}
