import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { docker } from './workspace.js';

/** Every container a benchmark creates has a name starting with this, so a cleanup can find leftovers. */
export const CONTAINER_PREFIX = 'lormas-bench-';

const children = new Set<ChildProcess>();

/** Remembers a child process so an interrupted run can end it (by its pid, nothing broader). */
export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Removes every container whose name starts with `prefix` (default: all the benchmarks').
 * A busy engine answers "removal already in progress" when its own cleanup of a killed
 * container overlaps ours; a second pass finds what is still there.
 */
export async function removeBenchContainers(prefix: string = CONTAINER_PREFIX, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const ids = (await docker(['ps', '-aq', '--filter', `name=^${prefix}`])).split('\n').filter(Boolean);
    if (ids.length === 0) return;
    try {
      await docker(['rm', '-fv', ...ids]);
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await delay(1_000);
    }
  }
}

/** Ends the children still running and removes the benchmarks' containers: for an interrupted run. */
export async function cleanUpEverything(): Promise<void> {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await removeBenchContainers().catch(() => {});
}
