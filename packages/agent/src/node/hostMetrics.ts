import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';

export interface CpuSample {
  idle: number;
  total: number;
}

/** Sums the time all cores spent idle and in total since boot. */
export function sampleCpu(): CpuSample {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** Busy share of all cores between two samples, 0..100. */
export function cpuUsagePercent(previous: CpuSample, current: CpuSample): number {
  const total = current.total - previous.total;
  if (total <= 0) return 0;
  const busy = total - (current.idle - previous.idle);
  return Math.min(100, Math.max(0, (busy / total) * 100));
}

/**
 * Memory in use. On Linux, `MemAvailable` (which counts reclaimable cache as free) is the
 * figure operators read in `free`; elsewhere `os.freemem()`.
 */
export function memoryUsage(): { totalBytes: number; usedBytes: number } {
  const totalBytes = os.totalmem();
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match) return { totalBytes, usedBytes: Math.max(0, totalBytes - Number(match[1]) * 1024) };
  } catch {
    // Not Linux: fall through.
  }
  return { totalBytes, usedBytes: totalBytes - os.freemem() };
}

/** Size and use of the filesystem holding `path`. */
export function diskUsage(path: string): { path: string; totalBytes: number; usedBytes: number } {
  try {
    const s = statfsSync(path);
    return { path, totalBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
  } catch {
    return { path, totalBytes: 0, usedBytes: 0 };
  }
}
