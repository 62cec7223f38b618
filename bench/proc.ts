import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** Resident set size of process `pid` in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb[1]) * 1024;
}

/**
 * What process `pid` holds alone, in bytes: its private pages (`Private_Clean` +
 * `Private_Dirty` of /proc/PID/smaps_rollup). Pages of the runtime's binary that another
 * process of the same runtime maps too are counted by RSS in each, and here in neither.
 */
export function privateBytes(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(rollup)?.[1] ?? NaN);
  return (kb('Private_Clean') + kb('Private_Dirty')) * 1024;
}

/** The pids of process `pid`'s children (Linux 3.5+, `/proc/PID/task/PID/children`). */
export function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** CPU time (user + system) process `pid` has used, in milliseconds, from /proc (Linux). */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ; 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

export const MiB = 1024 * 1024;

/** `count` RSS readings of process `pid`, one every `everyMs`. */
export async function sampleRss(pid: number, count: number, everyMs = 500): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    await delay(everyMs);
    samples.push(rssBytes(pid));
  }
  return samples;
}
