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

export interface AssessInput {
  now: number;
  /** When the server started: no node can have been silent for longer. */
  startedAt: number;
  /** When the last majority-silent hold ended: silence before it says nothing about a node. */
  silenceResetAt: number | null;
  /** The hold of the previous assessment. */
  previousHold: HoldReason | null;
  nodes: readonly NodeSignal[];
  windows: HealthWindows;
}

export interface Assessment {
  health: Map<string, { health: NodeHealth; silentMs: number }>;
  hold: HoldReason | null;
  /** Nodes lost as of this assessment and not before. */
  newlyLost: string[];
  /** The input's value, or now when a majority-silent hold just ended. */
  silenceResetAt: number | null;
}

/**
 * Judges every node at one instant. Pure: the caller supplies the clock. A node silent for
 * longer than the window is declared lost only when failover is not held; while more than
 * half of the nodes are silent the server itself is probably cut off, so nobody is declared
 * lost, and when that hold ends every node's silence counts from then.
 */
export function assessNodes(input: AssessInput): Assessment {
  const { now, windows } = input;
  let silenceResetAt = input.silenceResetAt;
  const judge = (node: NodeSignal) => {
    const baseline = Math.max(input.startedAt, silenceResetAt ?? -Infinity);
    const held = node.heldUntil == null ? -Infinity : Math.min(now, node.heldUntil);
    const silentMs = Math.max(0, now - Math.max(node.lastSignAt ?? -Infinity, held, baseline));
    const health: NodeHealth = node.lost ? 'lost' : !node.connected || silentMs > windows.suspectAfterMs ? 'suspect' : 'online';
    return { health, silentMs };
  };
  // Each node is judged once a check (10,000 nodes a second), and again only when the end of
  // a majority-silent hold moves the baseline of every silence.
  let judged = input.nodes.map(judge);
  const holdNow = (): HoldReason | null => {
    if (now < input.startedAt + windows.graceMs) return 'grace';
    let silent = 0;
    for (const node of judged) if (node.health !== 'online') silent += 1;
    return silent * 2 > input.nodes.length ? 'majority-silent' : null;
  };

  let hold = holdNow();
  if (input.previousHold === 'majority-silent' && hold !== 'majority-silent') {
    silenceResetAt = now;
    judged = input.nodes.map(judge);
    hold = holdNow();
  }
  const health = new Map<string, { health: NodeHealth; silentMs: number }>();
  const newlyLost: string[] = [];
  input.nodes.forEach((node, i) => {
    const verdict = judged[i]!;
    // Heartbeats decide, not the socket: a half-open socket behind a partition still looks connected.
    if (!hold && !node.lost && verdict.silentMs > windows.lostAfterMs) {
      verdict.health = 'lost';
      newlyLost.push(node.nodeId);
    }
    health.set(node.nodeId, verdict);
  });
  return { health, hold, newlyLost, silenceResetAt };
}
