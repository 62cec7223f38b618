import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  /** `http://127.0.0.1:port` */
  url: string;
  port: number;
  adminToken: string;
  child: ChildProcess;
  /** Whether the process has exited, and how. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Everything it wrote to stderr (its log) and stdout so far. */
  output(): string;
  /** Its log lines at level ERROR. */
  errorLines(): string[];
  /** SIGTERM, then resolves with the exit code once it exited (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Runs `lormas-mock` (the mock server as operators run it) as a process of its own on an
 * ephemeral port. A test that attacks the server must not share its event loop with it:
 * the test's own work would pass for the server's slowness, and a crash would take the
 * test down with it instead of failing it.
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  const adminToken = 'admin-token-of-the-server-process';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PACKAGE_DIR,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: adminToken, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lormas-mock did not start in ${timeoutMs} ms: ${output}`)), timeoutMs);
    const look = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', look);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then(() => reject(new Error(`lormas-mock exited at start: ${output}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    adminToken,
    child,
    exited: () => exit,
    output: () => output,
    errorLines: () => output.split('\n').filter((line) => / ERROR /.test(line)),
    async stop(graceMs = 10_000) {
      if (exit) return exit.code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
