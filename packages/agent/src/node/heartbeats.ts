import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { EngineHealth, Heartbeat } from '@lormas/protocol';
import { cpuUsagePercent, diskUsage, memoryUsage, sampleCpu } from './hostMetrics.js';

/** What the heartbeat reads from the engine watch, which refreshes it in the background. */
export interface EngineSnapshot {
  engine: EngineHealth;
  containers: { managed: number; running: number };
}

export interface HeartbeatOptions {
  nodeName: string;
  /** @default 5_000 (milliseconds) */
  intervalMs: number;
  /** Filesystem whose use is reported. @default "/" */
  diskPath?: string;
  /** The latest engine state; must return at once (never waits on the engine). */
  snapshot: () => EngineSnapshot;
  startedAt: number;
  now?: () => number;
}

/**
 * The heartbeat stream. Beats are scheduled on a fixed grid (start + n * interval), so a
 * late beat does not push the next ones later; and a beat never awaits the engine: it
 * reports the engine watch's latest snapshot, so a slow or dead engine cannot make the
 * server think the node is gone.
 */
export async function* heartbeats(options: HeartbeatOptions, signal: AbortSignal): AsyncGenerator<Heartbeat> {
  const now = options.now ?? Date.now;
  const started = now();
  let previousCpu = sampleCpu();
  for (let seq = 1; !signal.aborted; seq++) {
    const cpu = sampleCpu();
    const at = now();
    yield {
      seq,
      at,
      nodeName: options.nodeName,
      cpu: { cores: os.cpus().length || 1, usagePercent: cpuUsagePercent(previousCpu, cpu), loadAverage1m: os.loadavg()[0] ?? 0 },
      memory: memoryUsage(),
      disk: diskUsage(options.diskPath ?? '/'),
      ...options.snapshot(),
      uptime: { hostSeconds: os.uptime(), agentSeconds: Math.max(0, (at - options.startedAt) / 1000) },
    };
    previousCpu = cpu;
    const next = started + seq * options.intervalMs;
    try {
      await delay(Math.max(0, next - now()), undefined, { signal });
    } catch {
      return;
    }
  }
}
