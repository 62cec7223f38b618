/** One point of a node's sparkline: CPU and memory in use, as percentages. */
export interface Sample {
  /** Epoch milliseconds on the server's clock. */
  at: number;
  cpuPercent: number;
  memoryPercent: number;
}

export interface NodeSamplesOptions {
  /** Samples kept per node; the oldest is dropped. @default 120 (samples) */
  samplesPerNode?: number;
  /** At most one sample per node this often; heartbeats in between are not sampled. @default 5_000 (milliseconds) */
  sampleIntervalMs?: number;
}

/**
 * A bounded ring of recent CPU and memory samples per node, for the dashboard's sparklines:
 * by default 120 samples at most 5 s apart, ten minutes of history, about 3 KiB a node.
 */
export class NodeSamples {
  readonly samplesPerNode: number;
  readonly sampleIntervalMs: number;
  private readonly rings = new Map<string, Sample[]>();

  constructor(options: NodeSamplesOptions = {}) {
    this.samplesPerNode = options.samplesPerNode ?? 120;
    this.sampleIntervalMs = options.sampleIntervalMs ?? 5_000;
    if (!Number.isInteger(this.samplesPerNode) || this.samplesPerNode < 1) throw new TypeError('NodeSamples: options.samplesPerNode must be a whole number >= 1');
    if (!Number.isFinite(this.sampleIntervalMs) || this.sampleIntervalMs < 0) throw new TypeError('NodeSamples: options.sampleIntervalMs must be a number of milliseconds >= 0');
  }

  /** Adds a sample unless the node's last one is younger than the interval; returns the sample added, or null. */
  record(nodeId: string, sample: Sample): Sample | null {
    let ring = this.rings.get(nodeId);
    if (!ring) this.rings.set(nodeId, (ring = []));
    const last = ring.at(-1);
    if (last && sample.at - last.at < this.sampleIntervalMs) return null;
    ring.push(sample);
    if (ring.length > this.samplesPerNode) ring.shift();
    return sample;
  }

  get(nodeId: string): readonly Sample[] {
    return this.rings.get(nodeId) ?? [];
  }

  forget(nodeId: string): void {
    this.rings.delete(nodeId);
  }
}
