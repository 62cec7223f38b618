import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './waitFor.js';

const run = promisify(execFile);

/** The engine the tests use unless told otherwise. */
export const DEFAULT_DOCKER_SOCKET = process.env['LORMAS_TEST_DOCKER_SOCKET'] ?? '/var/run/docker.sock';

/** The offline busybox image every end-to-end test runs. */
export const TEST_IMAGE = 'lormas-test/busybox:latest';

/** Flags for an engine that touches no network but loopback. */
const ENGINE_FLAGS = ['--bridge=none', '--iptables=false', '--ip6tables=false'];

/** Whether a Docker engine answers `/_ping` on `socketPath`. */
export function engineAnswers(socketPath: string = DEFAULT_DOCKER_SOCKET): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Runs the docker CLI against the engine on `socketPath`. */
export async function docker(args: string[], socketPath: string = DEFAULT_DOCKER_SOCKET, input?: Buffer): Promise<string> {
  const child = run('docker', ['-H', `unix://${socketPath}`, ...args], { maxBuffer: 64 * 1024 * 1024 });
  if (input) child.child.stdin!.end(input);
  const { stdout } = await child;
  return stdout.trim();
}

/**
 * Removes every container whose name starts with `prefix`, running or not, and with
 * `volumes` the volumes so named too, on the engine at `socketPath` (the local one by
 * default). Best effort: an engine already gone has nothing left to clean.
 */
export async function removeContainers(prefix: string, options: { socketPath?: string; volumes?: boolean } = {}): Promise<void> {
  const { socketPath, volumes } = options;
  const listed = async (args: string[]) => (await docker(args, socketPath).catch(() => '')).split('\n').filter(Boolean);
  const ids = await listed(['ps', '-aq', '--filter', `name=^/${prefix}`]);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids], socketPath).catch(() => '');
  if (!volumes) return;
  const names = await listed(['volume', 'ls', '-q', '--filter', `name=${prefix}`]);
  if (names.length > 0) await docker(['volume', 'rm', '-f', ...names], socketPath).catch(() => '');
}

/** The engine's state of a container (`running`, `exited`...), or null when it does not exist. */
export async function engineState(name: string, socketPath?: string): Promise<string | null> {
  return docker(['inspect', '-f', '{{.State.Status}}', name], socketPath).catch(() => null);
}

/**
 * Starts the machine's main engine in the background if none answers; it keeps running
 * after this process ends (the test bed's engine, like a system service).
 */
export async function ensureEngine(socketPath: string = DEFAULT_DOCKER_SOCKET): Promise<'running' | 'started'> {
  if (await engineAnswers(socketPath)) return 'running';
  const log = openSync(join(tmpdir(), 'lormas-dockerd.log'), 'a');
  const child = spawn('dockerd', [...ENGINE_FLAGS, '-H', `unix://${socketPath}`], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  await waitFor(() => engineAnswers(socketPath), { timeoutMs: 60_000, intervalMs: 250, what: `dockerd on ${socketPath}` });
  return 'started';
}

/** Fails with a clear message when no engine answers, so a test does not time out obscurely. */
export async function requireEngine(socketPath: string = DEFAULT_DOCKER_SOCKET): Promise<void> {
  if (!(await engineAnswers(socketPath))) {
    throw new Error(`no Docker engine answers on ${socketPath}; run "pnpm testbed" (or scripts/setup.sh) first`);
  }
}

/** Builds the busybox test image with `docker import` from Debian's static busybox, if the engine lacks it. */
export async function ensureTestImage(socketPath: string = DEFAULT_DOCKER_SOCKET, busybox = '/bin/busybox'): Promise<void> {
  try {
    await docker(['image', 'inspect', TEST_IMAGE], socketPath);
    return;
  } catch {
    // Not there yet: build it.
  }
  const root = mkdtempSync(join(tmpdir(), 'lormas-rootfs-'));
  try {
    const script = [
      'set -e',
      'mkdir -p bin tmp etc proc sys dev',
      `cp ${busybox} bin/busybox`,
      'for a in $(bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "bin/$a"; done',
      'echo "root:x:0:0:root:/root:/bin/sh" > etc/passwd',
      'echo "nobody:x:65534:65534:nobody:/:/bin/false" >> etc/passwd',
      'echo "root:x:0:" > etc/group',
      'echo "nogroup:x:65534:" >> etc/group',
    ].join('\n');
    await run('sh', ['-c', script], { cwd: root });
    const { stdout: tar } = await run('tar', ['-C', root, '-c', '.'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    await docker(['import', '-c', 'ENV PATH=/bin', '-', TEST_IMAGE], socketPath, tar);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A process the harness started, with the means to stop it. */
export interface Started {
  stop(): Promise<void>;
}

/** Sends `signal` to a child the harness started (by its pid) and resolves once it exited; SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const stopProcess = (child: ChildProcess, graceMs?: number) => stopChild(child, 'SIGTERM', graceMs);

export interface SecondEngine extends Started {
  socketPath: string;
}

/**
 * Starts an independent engine (own data-root, exec-root, pidfile and socket) for
 * two-node tests, with the test image loaded. Stop it when done; its folders are removed.
 */
export async function startSecondEngine(): Promise<SecondEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'lormas-engine-'));
  // exec-root holds a unix socket path, which must stay under 108 bytes.
  const execRoot = mkdtempSync('/tmp/lx-');
  const socketPath = join(execRoot, 'docker.sock');
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    [...ENGINE_FLAGS, '--data-root', join(dir, 'data'), '--exec-root', execRoot, '--pidfile', join(dir, 'docker.pid'), '-H', `unix://${socketPath}`],
    { stdio: ['ignore', log, log] },
  );
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    rmSync(execRoot, { recursive: true, force: true });
  };
  try {
    await waitFor(() => engineAnswers(socketPath), { timeoutMs: 60_000, intervalMs: 250, what: 'the second dockerd' });
    await ensureTestImage(socketPath);
  } catch (error) {
    await stop();
    throw error;
  }
  return { socketPath, stop };
}

export interface Registry extends Started {
  /** `127.0.0.1:PORT`, the prefix of image names pushed to it. */
  host: string;
  /**
   * Pushes `<host>/lormas-test/<name>:latest`, the test image plus a layer of random bytes
   * the engine does not have, then removes it locally: pulling it downloads that layer and
   * reports per-layer progress. Resolves with the image reference.
   */
  pushFreshImage(name: string, sizeBytes?: number): Promise<string>;
}

/**
 * Starts Debian's `docker-registry` on loopback with storage in a temp folder, and pushes
 * the test image to it as `<host>/lormas-test/busybox:latest`.
 */
export async function startRegistry(port: number, socketPath: string = DEFAULT_DOCKER_SOCKET): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'lormas-registry-'));
  const config = join(dir, 'config.yml');
  const host = `127.0.0.1:${port}`;
  await run('sh', [
    '-c',
    `cat > ${config} <<'YAML'
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: ${host}
YAML`,
  ]);
  const log = openSync(join(dir, 'registry.log'), 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
  const stop = async () => {
    await stopProcess(child, 5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      () =>
        fetch(`http://${host}/v2/`)
          .then((res) => res.ok)
          .catch(() => false),
      { timeoutMs: 20_000, what: `docker-registry on ${host}` },
    );
    await docker(['tag', TEST_IMAGE, `${host}/lormas-test/busybox:latest`], socketPath);
    await docker(['push', `${host}/lormas-test/busybox:latest`], socketPath);
  } catch (error) {
    await stop();
    throw error;
  }
  const pushFreshImage = async (name: string, sizeBytes = 3_000_000) => {
    const image = `${host}/lormas-test/${name}:latest`;
    const builder = `lormas-fresh-${name}-${process.pid}`;
    await docker(['run', '--network', 'none', '--name', builder, TEST_IMAGE, 'sh', '-c', `head -c ${sizeBytes} /dev/urandom > /blob`], socketPath);
    try {
      await docker(['commit', builder, image], socketPath);
    } finally {
      await docker(['rm', '-f', builder], socketPath);
    }
    await docker(['push', image], socketPath);
    await docker(['rmi', image], socketPath);
    return image;
  };
  return { host, stop, pushFreshImage };
}
