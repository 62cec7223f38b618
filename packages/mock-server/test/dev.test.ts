import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { docker, requireEngine, waitFor } from '@lormas/testkit';
import { REPO_ROOT } from './support/agentProcess.js';

const run = promisify(execFile);

/** A file's size and modification time, or null when there is none. */
function statOf(file: string): string | null {
  const stat = statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.size} bytes, modified ${stat.mtimeMs}` : null;
}

/** Whether a process with this pid still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const mode of ['one process', 'cluster'] as const) {
describe(mode === 'cluster' ? 'pnpm dev:cluster' : 'pnpm dev', () => {
  let dev: ChildProcess;
  let output = '';
  let containerName: string | undefined;

  /** The agent's default state file in the checkout: what an earlier version of `pnpm dev` wrote. */
  const checkoutState = join(REPO_ROOT, 'state', 'last-session.json');
  let checkoutStateBefore: string | null = null;

  before(async () => {
    await requireEngine();
    checkoutStateBefore = statOf(checkoutState);
    dev = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', ...(mode === 'cluster' ? ['--cluster'] : [])], { cwd: REPO_ROOT, env: { ...process.env, PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });
  after(async () => {
    if (dev.exitCode === null && dev.signalCode === null) dev.kill('SIGKILL');
    if (containerName) await docker(['rm', '-f', containerName]).catch(() => {});
  });

  const title =
    mode === 'cluster'
      ? 'starts nats-server, PostgreSQL, three replicas behind a balancer and an agent; the curl lines work through the balancer; SIGINT stops everything'
      : 'starts the server and an agent that shows online, prints curl lines that work as printed, and stops both cleanly on SIGINT';
  it(title, async () => {
    await waitFor(() => output.includes('# Remove it'), { timeoutMs: mode === 'cluster' ? 90_000 : 40_000, what: `the curl lines; output so far:\n${output}` });
    const pids = mode === 'cluster' ? /replica pids (\d+), (\d+), (\d+), agent pid (\d+)/.exec(output) : /server pid (\d+), agent pid (\d+)/.exec(output);
    assert.ok(pids, output);
    const serverPids = pids.slice(1, -1).map(Number);
    const agentPid = Number(pids.at(-1));
    const services = mode === 'cluster' ? /nats-server \S+ \(pid (\d+)\), PostgreSQL \S+ \(pid (\d+)\)/.exec(output) : null;
    if (mode === 'cluster') assert.ok(services, output);
    const curl = (comment: string) => {
      const lines = output.split('\n');
      const line = lines[lines.findIndex((l) => l.startsWith(comment)) + 1];
      assert.ok(line?.startsWith('curl '), `no curl line after "${comment}"`);
      return run('sh', ['-c', line!]).then(({ stdout }) => stdout);
    };

    // The dashboard's address comes first, before anything else the dev script says, and answers.
    const own = output.split('\n').filter((line) => !line.startsWith('['));
    const dashboard = /^Dashboard: (http:\/\/\S+\/dashboard)$/.exec(own[0] ?? '');
    assert.ok(dashboard, `first line of dev's own output: ${own[0]}`);
    const page = await fetch(`${dashboard[1]}/nodes`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
    const { nodes } = JSON.parse(await curl('# List nodes')) as { nodes: { name: string; status: string }[] };
    assert.deepEqual(nodes.map((n) => [n.name, n.status]), [['dev-node', 'online']]);
    const created = JSON.parse(await curl('# Create and start a container')) as { name: string; state: string };
    containerName = created.name;
    assert.equal(created.state, 'running');
    const logs = await waitFor(async () => ((await curl('# Read its logs')).includes('hello from lormas') ? await curl('# Read its logs') : null), { what: 'the hello line in the logs' });
    assert.match(logs, /\{"stream":"stdout","line":"hello from lormas"\}/);
    assert.equal(JSON.parse(await curl('# Remove it')).removed, true);
    if (mode === 'cluster') {
      // Through the balancer, each call may land on another replica: every one of them knows the one leader.
      const base = dashboard[1]!.replace(/\/dashboard$/, '');
      const token = /sign in with the admin token: (\S+)\)/.exec(output)![1]!;
      const leaders = new Set<string>();
      for (let i = 0; i < 6; i++) leaders.add(((await (await fetch(`${base}/api/failover`, { headers: { authorization: `Bearer ${token}` } })).json()) as { leader: string }).leader);
      assert.equal(leaders.size, 1, `leaders seen: ${[...leaders]}`);
    }

    const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    dev.kill('SIGINT');
    assert.equal(await exited, 0);
    for (const pid of serverPids) assert.equal(alive(pid), false, 'the server is gone');
    assert.equal(alive(agentPid), false, 'the agent is gone');
    for (const pid of services?.slice(1).map(Number) ?? []) assert.equal(alive(pid), false, 'nats-server and PostgreSQL are gone');
    // The agent kept its state in a folder of its own, gone now; the checkout's `state/` is not touched.
    const stateDir = /^dev: the agent's state folder is (\S+) \(removed on stop\)$/m.exec(output)?.[1];
    assert.ok(stateDir, output);
    assert.ok(!stateDir.startsWith(REPO_ROOT), stateDir);
    assert.equal(existsSync(stateDir), false, 'the agent state folder is removed');
    assert.deepEqual(statOf(checkoutState), checkoutStateBefore, "the checkout's state/ is as it was");
  });
});
}
