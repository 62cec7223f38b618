import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './engine.js';
import { freePort } from './freePort.js';
import { waitFor } from './waitFor.js';

export interface NatsServer {
  /** `nats://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** The running server's process id, or null while it is stopped. */
  readonly pid: number | null;
  /** Ends the server with `signal` (SIGKILL: a crash) and resolves once it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store folder: JetStream's files survive. */
  restart(): Promise<void>;
  /** Everything the server logged so far. */
  log(): string;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts Debian's `nats-server` with JetStream on a loopback port, its store in a temp
 * folder: `nats-server -a 127.0.0.1 -p PORT -js -sd DIR`. Stopped by its process id.
 */
export async function startNats(options: { port?: number } = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lormas-nats-'));
  const port = options.port ?? (await freePort());
  const logFile = join(dir, 'nats.log');
  let child: ChildProcess | null = null;

  const launch = async () => {
    const log = openSync(logFile, 'a');
    const started = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'store'), '--server_name', `lormas-test-${port}`], {
      stdio: ['ignore', log, log],
    });
    child = started;
    const exited = new Promise((resolve) => started.once('exit', resolve));
    await Promise.race([
      waitFor(() => listening(port), { timeoutMs: 20_000, intervalMs: 50, what: `nats-server on 127.0.0.1:${port}` }),
      exited.then(() => {
        throw new Error(`nats-server exited at start:\n${readFileSync(logFile, 'utf8').slice(-2_000)}`);
      }),
    ]);
  };
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child) await stopChild(child, signal, 10_000);
    child = null;
  };

  try {
    await launch();
  } catch (error) {
    await kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid ?? null;
    },
    kill,
    restart: launch,
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
