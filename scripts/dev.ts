/**
 * `pnpm dev`: the mock server and one agent on the local Docker engine, wired together,
 * with curl lines that work as printed. Ctrl-C (SIGINT) or SIGTERM stops both and exits 0.
 *
 * `pnpm dev --cluster`: the same behind a round-robin balancer on PORT, in front of three
 * replicas of the mock server (PORT+1 to PORT+3) that share a private PostgreSQL and a
 * nats-server, each started in a temp folder on a free loopback port and stopped with the rest.
 *
 * Settings: PORT (default 3000), ADMIN_TOKEN (generated when unset), LOG_LEVEL (default
 * info), DATA_DIR (default: in memory, so each run starts clean), DOCKER_HOST for the agent,
 * STATE_DIR for the agent (default: a temp folder removed on stop, so the agent starts clean too).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, type NatsServer, type Postgres, type Proxy, startNats, startPostgres, startProxy } from '../packages/testkit/src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const adminToken = process.env['ADMIN_TOKEN'] || randomBytes(24).toString('base64url');
const logLevel = process.env['LOG_LEVEL'] || 'info';
const NODE_NAME = 'dev-node';
const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;
const clusterMode = process.argv.includes('--cluster');
/**
 * The agent's state folder. Its own by default, as the server's data is: each run registers a
 * new node, and an agent's state left from an earlier run (in the checkout's `state/`, the
 * agent's default) names a node that run's server knew.
 */
// A STATE_DIR of the caller's is used as the agent resolves it: against the checkout, its working folder.
const agentState = process.env['STATE_DIR'] ? { path: resolve(root, process.env['STATE_DIR']), own: false } : { path: mkdtempSync(join(tmpdir(), 'lormas-dev-agent-')), own: true };
/** In cluster mode: the balancer, the engine and the database, stopped after the replicas. */
const services: { proxy: Proxy | null; nats: NatsServer | null; postgres: Postgres | null } = { proxy: null, nats: null, postgres: null };

/** Starts a child with its output prefixed, so the two logs stay apart. */
function start(name: string, args: string[], env: Record<string, string>, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      onLine?.(line);
      process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`dev: the ${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping\n`);
    void stopAll(1);
  });
  children.push({ name, child });
  return child;
}

/** Stops the agent first (it finishes in-flight work), then the server; each by its pid. */
async function stopAll(exitCode: number): Promise<never> {
  stopping = true;
  for (const { child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  await services.proxy?.close();
  await Promise.all([services.nats?.stop(), services.postgres?.stop()]);
  if (agentState.own) rmSync(agentState.path, { recursive: true, force: true });
  process.exit(exitCode);
}

async function api(url: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Builds the dashboard when this checkout has not built it yet (a second or so, no network). */
function ensureDashboard(): void {
  if (existsSync(join(root, 'packages/mock-server/dashboard/dist/index.html'))) return;
  const built = spawnSync(process.execPath, ['packages/mock-server/dashboard/build.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error('building the dashboard failed');
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  ensureDashboard();

  const port = Number(process.env['PORT'] ?? '3000');
  const startServer = (name: string, env: Record<string, string>) =>
    new Promise<string>((resolve) => {
      const serverEnv: Record<string, string> = { HOST: '127.0.0.1', ADMIN_TOKEN: adminToken, LOG_LEVEL: logLevel, ...env };
      start(name, ['packages/mock-server/bin/lormas-mock.js'], serverEnv, (line) => {
        const match = /listening on (http:\/\/\S+)/.exec(line);
        if (match) resolve(match[1]!);
      });
    });
  let url: string;
  /** What was started and where, said after the dashboard's address (which comes first). */
  const notes: string[] = [];
  if (clusterMode) {
    [services.nats, services.postgres] = await Promise.all([startNats(), startPostgres()]);
    notes.push(`dev: nats-server ${services.nats.url} (pid ${services.nats.pid}), PostgreSQL ${services.postgres.url} (pid ${services.postgres.pid})`);
    const databaseUrl = await services.postgres.createDatabase('lormas_dev');
    const ports = port === 0 ? [await freePort(), await freePort(), await freePort()] : [port + 1, port + 2, port + 3];
    // One after another: the first migrates the shared schema, and all use the first signing key.
    for (const [i, replicaPort] of ports.entries()) {
      await startServer(`replica r${i + 1}`, { PORT: String(replicaPort), NATS_URL: services.nats.url, DATABASE_URL: databaseUrl, REPLICA_ID: `r${i + 1}` });
    }
    services.proxy = await startProxy({ target: { ports }, port });
    url = `http://${services.proxy.address}`;
    notes.push(`dev: a round-robin balancer on ${url} in front of replicas on ports ${ports.join(', ')}`);
  } else {
    url = await startServer('server', { PORT: String(port) });
  }
  process.stdout.write(`Dashboard: ${url}/dashboard\n`);
  notes.push(`dev: the agent's state folder is ${agentState.path}${agentState.own ? ' (removed on stop)' : ''}`);
  for (const note of notes) process.stdout.write(`${note}\n`);
  const node = await api(url, '/api/nodes', { method: 'POST', body: { name: NODE_NAME, description: 'started by pnpm dev' } });
  const agent = start('agent', ['--import', 'tsx', 'packages/agent/agent.ts'], {
    SERVER_URL: url.replace(/^http/, 'ws'),
    NODE_TOKEN: node.token,
    NODE_NAME,
    LOG_LEVEL: logLevel,
    STATE_DIR: agentState.path,
  });

  const deadline = Date.now() + 30_000;
  while ((await api(url, `/api/nodes/${node.id}`)).status !== 'online') {
    if (Date.now() > deadline) throw new Error('the agent did not come online within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const auth = `-H "Authorization: Bearer ${adminToken}"`;
  const name = `dev-hello-${randomBytes(3).toString('hex')}`;
  const spec = { name, image: 'lormas-test/busybox:latest', networkMode: 'none', cmd: ['sh', '-c', 'while true; do echo hello from lormas; sleep 2; done'] };
  process.stdout.write(
    [
      '',
      `Dashboard: ${url}/dashboard  (sign in with the admin token: ${adminToken})`,
      '',
      clusterMode
        ? `dev: ${NODE_NAME} (${node.id}) is online; replica pids ${children.filter((c) => c.name.startsWith('replica')).map((c) => c.child.pid).join(', ')}, agent pid ${agent.pid}. Ctrl-C stops everything.`
        : `dev: ${NODE_NAME} (${node.id}) is online; server pid ${children[0]!.child.pid}, agent pid ${agent.pid}. Ctrl-C stops both.`,
      '',
      '# List nodes',
      `curl -s ${url}/api/nodes ${auth}`,
      '# Create and start a container without network',
      `curl -s -X POST ${url}/api/containers ${auth} -H "Content-Type: application/json" -d '${JSON.stringify({ nodeId: node.id, spec })}'`,
      '# Read its logs (add &follow to keep streaming)',
      `curl -s "${url}/api/containers/${name}/logs?tail=20" ${auth}`,
      '# Remove it',
      `curl -s -X DELETE ${url}/api/containers/${name} ${auth}`,
      '',
    ].join('\n') + '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`dev: ${error instanceof Error ? error.message : String(error)}\n`);
  void stopAll(1);
});
