export interface SendWindowOptions {
  /**
   * The queueing delay the window aims for: how long a frame sent now (a heartbeat, a reply)
   * waits behind bulk bytes already on their way. @default 25 (milliseconds)
   */
  targetDelayMs?: number;
  /** The window never shrinks below this. @default 32 KiB (bytes), or `maxBytes` if that is less */
  minBytes?: number;
  /** The window never grows past this: the most bulk bytes ever unread by the peer. @default 1 MiB (bytes) */
  maxBytes?: number;
  /** @default 64 KiB (bytes) */
  initialBytes?: number;
  /**
   * A probe goes out after every this many bytes sent, or an eighth of the window if that is
   * more: enough round trips measured per window, few pings on a fast link. @default 16 KiB (bytes)
   */
  probeEveryBytes?: number;
}

const MAX_PROBES_OUT = 1024;
/** How long the lowest round trip seen stands as the link's delay with nothing queued. */
const BASE_HISTORY_MS = 30_000;
/**
 * A busy link whose round trips have not come near the base for this long is drained: bulk
 * senders wait until everything is read and a probe times the empty link. Without it, a
 * queue that never empties would pass for the base and let the window creep up, as BBR's
 * PROBE_RTT and LEDBAT's base history guard against.
 */
const REBASE_EVERY_MS = 10_000;

interface Probe {
  count: number;
  at: number;
  /** Bytes unconfirmed when the probe went out: what the round trip it measures was queued behind. */
  inFlight: number;
}

/**
 * How many bytes may be in flight on a link before bulk senders wait, sized so that what is
 * queued ahead of a new frame drains in about `targetDelayMs`. Bulk traffic (log chunks)
 * thus yields to everything else on the link, as LEDBAT (RFC 6817) background transfers do.
 *
 * Probes (a ping carrying the count of bytes sent) measure the round trip; the lowest seen
 * lately is the link's base delay, the excess is queueing. The window is scaled toward
 * `in flight x (base + target) / rtt`, as TCP Vegas and FAST TCP do: it grows, at most
 * doubling each round trip, while the queue is short, and shrinks in proportion as soon as a
 * probe comes back late, so a reader that slows from 100 MiB/s to 1 MiB/s brings the window
 * down within a round trip, not a hundred.
 *
 * Pure bookkeeping on a caller's clock; `FlowMeter` puts it on a socket.
 */
export class SendWindow {
  private sentBytes = 0;
  private confirmedBytes = 0;
  private windowBytes: number;
  private lastProbeCount = 0;
  private readonly probes: Probe[] = [];
  /** Round trips of the last `BASE_HISTORY_MS`, each lower than every later one: a sliding minimum. */
  private readonly lows: { at: number; rttMs: number }[] = [];
  /** The current round ends when the peer confirms this count. */
  private roundEnd = 0;
  private roundPeakInFlight = 0;
  /** When a round trip last came near the base (or the empty link was timed). */
  private nearBaseAt: number | null = null;
  private draining = false;
  private readonly options: Required<SendWindowOptions>;

  constructor(options: SendWindowOptions = {}) {
    const maxBytes = options.maxBytes ?? 1024 * 1024;
    this.options = {
      targetDelayMs: options.targetDelayMs ?? 25,
      minBytes: options.minBytes ?? Math.min(32 * 1024, maxBytes),
      maxBytes,
      initialBytes: options.initialBytes ?? 64 * 1024,
      probeEveryBytes: options.probeEveryBytes ?? 16 * 1024,
    };
    const { minBytes, initialBytes, targetDelayMs, probeEveryBytes } = this.options;
    for (const [key, value] of Object.entries({ minBytes, maxBytes, initialBytes, targetDelayMs, probeEveryBytes })) {
      if (!Number.isFinite(value) || value <= 0) throw new TypeError(`SendWindow: ${key} must be a positive number, got ${value}`);
    }
    if (minBytes > maxBytes) throw new TypeError(`SendWindow: minBytes (${minBytes}) must not exceed maxBytes (${maxBytes})`);
    this.windowBytes = clamp(this.options.initialBytes, minBytes, maxBytes);
  }

  /** Bytes sent that the peer has not confirmed reading. */
  get unconfirmed(): number {
    return this.sentBytes - this.confirmedBytes;
  }

  /** The current window. */
  get size(): number {
    return this.windowBytes;
  }

  /** Whether a bulk sender may send now. */
  hasRoom(): boolean {
    return !this.draining && this.unconfirmed < this.windowBytes;
  }

  /**
   * Counts bytes sent. Returns the count to probe with when a probe is due (send a ping
   * carrying it), else null.
   */
  sent(bytes: number, now: number): number | null {
    this.sentBytes += bytes;
    this.roundPeakInFlight = Math.max(this.roundPeakInFlight, this.unconfirmed);
    const spacing = Math.max(this.options.probeEveryBytes, this.windowBytes >> 3);
    return this.sentBytes - this.lastProbeCount >= spacing ? this.probe(now) : null;
  }

  /**
   * A probe for a waiting sender when no probe is out to report back: while bytes are
   * unconfirmed, or, draining, once they are all read (that probe times the empty link).
   * Returns the count to probe with, or null.
   */
  probeIfIdle(now: number): number | null {
    return this.probes.length === 0 && (this.unconfirmed > 0 || this.draining) ? this.probe(now) : null;
  }

  /** The peer has read `count` bytes (a probe's answer). */
  confirmed(count: number, now: number): void {
    if (count < this.confirmedBytes || count > this.sentBytes) return;
    this.confirmedBytes = count;
    let probe: Probe | undefined;
    while (this.probes.length > 0 && this.probes[0]!.count <= count) probe = this.probes.shift();
    if (probe?.count !== count) return;
    const rttMs = Math.max(now - probe.at, 0.001);
    this.recordLow(rttMs, now);
    if (probe.inFlight === 0) {
      // The empty link timed: the base is measured afresh, whatever it now is.
      this.draining = false;
      this.nearBaseAt = now;
      return;
    }
    const { targetDelayMs } = this.options;
    if (this.nearBaseAt === null || rttMs <= this.lows[0]!.rttMs + targetDelayMs / 4) this.nearBaseAt = now;
    else if (now - this.nearBaseAt > REBASE_EVERY_MS && this.roundPeakInFlight >= this.windowBytes / 2) this.draining = true;
    this.resize(probe.inFlight, rttMs, count >= this.roundEnd);
  }

  private probe(now: number): number {
    this.lastProbeCount = this.sentBytes;
    // A peer that never answers is cut off by the keep-alive; until then, keep the list bounded.
    if (this.probes.length >= MAX_PROBES_OUT) this.probes.shift();
    this.probes.push({ count: this.sentBytes, at: now, inFlight: this.unconfirmed });
    return this.sentBytes;
  }

  private recordLow(rttMs: number, now: number): void {
    while (this.lows.length > 0 && this.lows.at(-1)!.rttMs >= rttMs) this.lows.pop();
    this.lows.push({ at: now, rttMs });
    while (this.lows[0]!.at < now - BASE_HISTORY_MS) this.lows.shift();
  }

  /**
   * What the sample says the window should be: the bytes it was queued behind, delivered in
   * one round trip, scaled to a round trip of base plus target. A smaller window applies at
   * once if the sample was queued past the target (each sample scales its own bytes in
   * flight, so samples do not compound; a quiet link's samples do not shrink it); a larger
   * one once per round trip, at most doubling, and only if senders had filled the window.
   */
  private resize(inFlight: number, rttMs: number, roundOver: boolean): void {
    const { minBytes, maxBytes, targetDelayMs } = this.options;
    const limit = this.lows[0]!.rttMs + targetDelayMs;
    const ideal = (inFlight * limit) / rttMs;
    if (rttMs > limit && ideal < this.windowBytes) this.windowBytes = Math.max(minBytes, Math.round(ideal));
    if (!roundOver) return;
    if (ideal > this.windowBytes && this.roundPeakInFlight >= this.windowBytes / 2) {
      this.windowBytes = clamp(Math.round(Math.min(ideal, 2 * this.windowBytes)), minBytes, maxBytes);
    }
    this.roundEnd = this.sentBytes;
    this.roundPeakInFlight = this.unconfirmed;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
