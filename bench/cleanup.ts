import type { ChildProcess } from 'node:child_process';
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

/** Removes every container whose name starts with `prefix` (default: all the benchmarks'). */
export async function removeBenchContainers(prefix: string = CONTAINER_PREFIX): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `name=^${prefix}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-fv', ...ids]);
}

/** Ends the children still running and removes the benchmarks' containers: for an interrupted run. */
export async function cleanUpEverything(): Promise<void> {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await removeBenchContainers().catch(() => {});
}
