import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BUILD_KIND } from '../buildInfo.js';
import { HANDOVER_UNTIL_VARIABLE, LAUNCH_REQUESTS_VARIABLE, LAUNCHER_FD_VARIABLE } from './handover.js';
import type { BuildProcess } from './Launcher.js';

/** The agent's end of the launcher's pipe: the fourth descriptor, as `stdio[3]` makes it. */
const READY_FD = 3;

/**
 * Starts a build as a child of the launcher: an executable build runs as it is; a JavaScript
 * build runs on the launcher's own runtime (Node or Bun). The child writes `ready` on the
 * launcher's pipe once its session is accepted and it reached the engine; its log goes where
 * the launcher's goes (the journal, under systemd).
 */
export function startBuild(file: string, handoverUntil: number | null): BuildProcess {
  const [command, args] = BUILD_KIND === 'exe' ? [file, []] : [process.execPath, [...process.execArgv, file]];
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [LAUNCHER_FD_VARIABLE]: String(READY_FD), [LAUNCH_REQUESTS_VARIABLE]: '1', ...(handoverUntil !== null ? { [HANDOVER_UNTIL_VARIABLE]: String(handoverUntil) } : {}) },
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A build that cannot be started at all counts as one that exited at once.
    child.once('error', () => resolve({ code: 127, signal: null }));
  });
  const ready = new Promise<void>((resolve) => {
    const pipe = child.stdio[READY_FD] as Readable | null;
    let said = '';
    pipe?.on('error', () => undefined);
    pipe?.on('data', (chunk: Buffer) => {
      said = (said + chunk.toString()).slice(-64);
      if (said.includes('ready\n')) resolve();
    });
  });
  return {
    ready,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
