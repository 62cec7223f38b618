import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { JOIN_PATH } from '@lormas/protocol';
import { requireEngine, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import type { AgentProcess } from './support/agentProcess.js';
import { REPO_ROOT } from './support/agentProcess.js';
import { buildAgent, buildExe, releaseKey, signBuild } from './support/agentBuilds.js';
import { call, registerNode } from './support/http.js';

const run = promisify(execFile);
const PREFIX = '/opt/lormas-agent';

const userExists = () =>
  run('id', ['lormas']).then(
    () => true,
    () => false,
  );

/** Removes the `lormas` user the install created, unless it was there before the test. */
async function removeUserUnless(existed: boolean): Promise<void> {
  if (existed) return;
  await run('userdel', ['lormas']).catch(() => undefined);
  await run('groupdel', ['lormas']).catch(() => undefined);
}

/**
 * A temporary folder for one install: the root folder it installs under, and a `bin` with a
 * stand-in `systemctl` that records its calls (one a line) in `calls`.
 */
function installFolder(prefix: string): { folder: string; root: string; bin: string; calls: string } {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  // The agent's user must reach the root folder: temporary folders start 0700.
  chmodSync(folder, 0o755);
  const root = join(folder, 'root');
  mkdirSync(root, { mode: 0o755 });
  const bin = join(folder, 'bin');
  mkdirSync(bin);
  const calls = join(folder, 'systemctl.calls');
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\n`, { mode: 0o755 });
  return { folder, root, bin, calls };
}

/** Runs a printed one-liner with dash (its `sudo ... sh` is root's `dash` here), installing under `root`. */
function install(line: string, env: { bin: string; home: string; root: string; node?: string }) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('dash', ['-c', line.replace(' sudo --preserve-env=LORMAS_JOIN_CODE sh -s --', ' dash -s --')], {
      env: { PATH: `${env.bin}:${process.env['PATH']}`, LORMAS_ROOT: env.root, HOME: env.home, ...(env.node === undefined ? {} : { LORMAS_NODE: env.node }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

async function joinLine(server: MockServer, id: string) {
  const res = await call(server, 'POST', `/api/nodes/${id}/join`);
  assert.equal(res.status, 201, res.text);
  return res.body as { code: string; command: string; expiresAt: string };
}

function owner(path: string) {
  const stat = statSync(path);
  return { uid: stat.uid, gid: stat.gid, mode: (stat.mode & 0o7777).toString(8) };
}

async function lormas() {
  return { uid: Number((await run('id', ['-u', 'lormas'])).stdout), gid: Number((await run('id', ['-g', 'lormas'])).stdout) };
}

/** The value of a `Name=` line of the installed unit. */
function unitValue(unit: string, name: string): string {
  return unit.split('\n').find((line) => line.startsWith(`${name}=`))!.slice(name.length + 1);
}

/**
 * Runs the installed unit's command as `lormas` (setpriv), as systemd would, with the unit's
 * paths moved under the temporary root, and waits for the node to come online.
 */
async function runUnit(server: MockServer, root: string, nodeId: string): Promise<{ agent: AgentProcess; view: any }> {
  const unit = readFileSync(join(root, 'etc/systemd/system/lormas-agent.service'), 'utf8');
  // Paths of the unit live under the temporary root here.
  const here = (text: string) => text.split(PREFIX).join(join(root, PREFIX));
  const [env, ...rest] = [here(unitValue(unit, 'Environment')), ...here(unitValue(unit, 'ExecStart')).split(' ')];
  const child = spawn('setpriv', ['--reuid=lormas', '--regid=lormas', '--init-groups', '--', 'env', '-i', `PATH=${process.env['PATH']}`, env!, `STATE_DIR=${join(root, PREFIX, 'state')}`, 'HEARTBEAT_INTERVAL_MS=200', ...rest], {
    cwd: here(unitValue(unit, 'WorkingDirectory')),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const agent: AgentProcess = {
    pid: child.pid!,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  const view = await waitFor(
    async () => {
      const found = (await call(server, 'GET', `/api/nodes/${nodeId}`)).body;
      return found?.status === 'online' && found.lastHeartbeatAt ? found : null;
    },
    { timeoutMs: 30_000, what: 'the installed agent online' },
  ).catch(async (error: unknown) => {
    await agent.stop();
    return assert.fail(`${(error as Error).message}\n${output}`);
  });
  const launcher = (await run('ps', ['-o', 'user=', '-p', String(child.pid)])).stdout.trim();
  assert.equal(launcher, 'lormas');
  return { agent, view };
}

/**
 * Issue 15, item 2: the one-line install, end to end, where systemd does not run. The script
 * runs under Debian's dash exactly as the server prints it (curl piped to sh), with a stand-in
 * `systemctl` on PATH that records its calls, and installs under a temporary root folder
 * (LORMAS_ROOT); the `lormas` user it creates is removed afterwards when the test made it.
 * The unit's command then runs as `lormas` (setpriv), not as root, and the agent comes online.
 */
describe('the one-line install (POSIX sh, as root, into a temporary root)', () => {
  let server: MockServer;
  let folder: string;
  let root: string;
  let bin: string;
  let calls: string;
  let userExisted: boolean;
  let nodeId: string;
  let command: string;
  let fingerprint: string;
  let unitAgent: AgentProcess | null = null;

  before(async () => {
    await requireEngine();
    userExisted = await userExists();
    ({ folder, root, bin, calls } = installFolder('lormas-install-'));
    const releases = join(folder, 'releases');
    const key = await releaseKey(join(folder, 'keys'));
    fingerprint = key.fingerprint;
    await signBuild(key.file, await buildAgent(join(folder, 'build', 'agent.js'), '0.9.0'), releases);
    server = await startMockServer({ releasesDir: releases });
    nodeId = (await registerNode(server, 'lin-node')).id;
    command = (await joinLine(server, nodeId)).command;
  });

  after(async () => {
    await unitAgent?.stop();
    await server?.close();
    await removeUserUnless(userExisted);
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers POST /api/nodes/:id/join with a code of at least 128 bits, its expiry and the one-liner', async () => {
    const res = await joinLine(server, nodeId);
    assert.ok(Buffer.from(res.code, 'base64url').length * 8 >= 128);
    assert.ok(Date.parse(res.expiresAt) > Date.now());
    assert.equal(res.command, `curl -fsSL ${server.url}/agent/install.sh | LORMAS_JOIN_CODE=${res.code} sudo --preserve-env=LORMAS_JOIN_CODE sh -s -- --server ${server.url} --release-key ${fingerprint}`);
    // A new code replaces the node's earlier unused one.
    command = (await joinLine(server, nodeId)).command;
    const earlier = res.code;
    const refused = await fetch(`${server.url}${JOIN_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: earlier, exchangeId: 'x'.repeat(22), protocolVersion: '1.1' }) });
    assert.equal(refused.status, 403);
  });

  it('installs, verified, as root: files, owners, modes, the user in the docker group, the unit, and a joined node', async () => {
    const { code, output } = await install(command, { bin, home: folder, root });
    assert.equal(code, 0, output);
    assert.match(output, /verified agent 0\.9\.0 \(js, any\), signed by release key [0-9a-f]{64}/);
    const user = await lormas();
    const dir = join(root, PREFIX);
    assert.deepEqual(owner(dir), { uid: 0, gid: 0, mode: '755' });
    assert.deepEqual(owner(join(dir, 'agent.js')), { uid: 0, gid: 0, mode: '755' });
    assert.deepEqual(owner(join(dir, 'agent.js.release.json')), { uid: 0, gid: 0, mode: '644' });
    assert.deepEqual(owner(join(dir, 'agent.conf')), { uid: 0, gid: user.gid, mode: '640' });
    assert.deepEqual(owner(join(dir, 'state')), { uid: user.uid, gid: user.gid, mode: '700' });
    assert.deepEqual(owner(join(dir, 'state', 'node-token')), { uid: user.uid, gid: user.gid, mode: '600' });
    assert.match(readFileSync(join(dir, 'state', 'node-token'), 'utf8'), /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const conf = readFileSync(join(dir, 'agent.conf'), 'utf8');
    assert.match(conf, new RegExp(`^SERVER_URL=${server.url.replace(/^http/, 'ws')}$`, 'm'));
    assert.match(conf, /^RELEASE_KEY=[A-Za-z0-9+/]{43}=$/m);
    assert.ok(!conf.includes('JOIN_CODE') && !conf.includes('NODE_TOKEN'), 'the settings file holds a secret');
    assert.match((await run('id', ['-nG', 'lormas'])).stdout, /\bdocker\b/);

    const unit = readFileSync(join(root, 'etc/systemd/system/lormas-agent.service'), 'utf8');
    for (const line of [
      'User=lormas',
      'SupplementaryGroups=docker',
      `WorkingDirectory=${PREFIX}`,
      `Environment=CONFIG_FILE=${PREFIX}/agent.conf`,
      `ExecStart=${process.execPath} ${PREFIX}/agent.js launch`,
      'RestartPreventExitStatus=2',
      `ReadWritePaths=${PREFIX}/state`,
    ]) {
      assert.ok(unit.split('\n').includes(line), `the unit lacks ${line}`);
    }
    // Every setting of the repository's unit is in the installed one.
    for (const line of readFileSync(join(REPO_ROOT, 'packages/agent/lormas-agent.service'), 'utf8').split('\n')) {
      if (/^[A-Za-z]+=/.test(line) && !line.startsWith('ExecStart=')) assert.ok(unit.split('\n').includes(line), `the installed unit lacks ${line}`);
    }
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['daemon-reload', 'enable lormas-agent.service', 'restart lormas-agent.service']);
    const registered = (await call(server, 'GET', `/api/nodes/${nodeId}`)).body;
    assert.equal(registered.status, 'offline', 'the join alone does not start the agent');
  });

  it("runs the unit's command as lormas, not root: the launcher starts the installed build, which comes online", async () => {
    const started = await runUnit(server, root, nodeId);
    unitAgent = started.agent;
    const { view } = started;
    assert.equal(view.agentVersion, '0.9.0');
    assert.equal(view.upgrades.enabled, true, JSON.stringify(view.upgrades));
    assert.equal(view.upgrades.releaseKey, fingerprint);
    // The agent cannot change its settings: the file and its folder are root's.
    const denied = await run('setpriv', ['--reuid=lormas', '--regid=lormas', '--init-groups', '--', 'sh', '-c', `echo ALLOW_PRIVILEGED=true >> ${join(root, PREFIX, 'agent.conf')}`]).then(
      () => false,
      () => true,
    );
    assert.ok(denied, 'lormas could write agent.conf');
    assert.equal(await unitAgent.stop(), 0, unitAgent.output());
  });

  it('is safe to run twice: the second run keeps the token and restarts the unit', async () => {
    const token = readFileSync(join(root, PREFIX, 'state/node-token'), 'utf8');
    const { code, output } = await install(command, { bin, home: folder, root });
    assert.equal(code, 0, output);
    assert.match(output, /has joined already; its token is kept/);
    assert.equal(readFileSync(join(root, PREFIX, 'state/node-token'), 'utf8'), token);
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').filter((line) => line === 'restart lormas-agent.service').length, 2);
  });

  it('refuses a used code with a clear message, and starts nothing', async () => {
    const other = join(folder, 'root-2');
    mkdirSync(other, { mode: 0o755 });
    const { code, output } = await install(command, { bin, home: folder, root: other });
    assert.notEqual(code, 0);
    assert.match(output, /JOIN_CODE: join refused \(JOIN_CODE_USED\): the join code was used already/);
    assert.match(output, /the join failed \(see above\); nothing was started/);
    assert.equal(existsSync(join(other, 'etc/systemd/system/lormas-agent.service')), false);
  });

  it('refuses to install when the release key is not the one the operator named', async () => {
    const wrong = command.replace(/--release-key [0-9a-f]{64}/, `--release-key ${'0'.repeat(64)}`);
    const other = join(folder, 'root-3');
    mkdirSync(other, { mode: 0o755 });
    const { code, output } = await install(wrong, { bin, home: folder, root: other });
    assert.notEqual(code, 0);
    assert.match(output, /has fingerprint [0-9a-f]{64}, not 0{64}: refusing to install/);
    assert.equal(existsSync(join(other, PREFIX)), false);
  });

  it('answers a retried exchange with the same token and any other exchange of the code as used', async () => {
    const second = (await registerNode(server, 'lin-node-2')).id;
    const { code } = await joinLine(server, second);
    const exchange = (exchangeId: string) =>
      fetch(`${server.url}${JOIN_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, exchangeId, protocolVersion: '1.1' }) }).then(async (res) => ({ status: res.status, body: (await res.json()) as any }));
    const first = await exchange('a'.repeat(22));
    const retried = await exchange('a'.repeat(22));
    assert.equal(first.status, 200);
    assert.equal(retried.status, 200);
    assert.equal(retried.body.token, first.body.token);
    assert.equal(first.body.nodeId, second);
    const stolen = await exchange('b'.repeat(22));
    assert.deepEqual([stolen.status, stolen.body.error.code], [403, 'JOIN_CODE_USED']);
  });
});

/**
 * Issue 15, item 2, where Node.js 18+ is absent (`LORMAS_NODE` empty): the script installs the
 * single executable for this CPU, verified with OpenSSL 3 instead of Node, though the server
 * offers the JavaScript build too; the unit runs the executable itself, and it comes online.
 */
describe('the one-line install on a host without Node.js (the single executable)', () => {
  const VERSION = '0.9.1';
  let server: MockServer;
  let folder: string;
  let root: string;
  let bin: string;
  let calls: string;
  let userExisted: boolean;
  let nodeId: string;
  let exe: string;
  let unitAgent: AgentProcess | null = null;

  before(async () => {
    await requireEngine();
    userExisted = await userExists();
    ({ folder, root, bin, calls } = installFolder('lormas-install-exe-'));
    const releases = join(folder, 'releases');
    const key = await releaseKey(join(folder, 'keys'));
    // Both kinds on offer: the script must choose the executable for want of Node, not for want of choice.
    await signBuild(key.file, await buildAgent(join(folder, 'build', 'agent.js'), VERSION), releases);
    exe = (await signBuild(key.file, await buildExe(join(folder, 'build'), VERSION), releases, ['--kind', 'exe'])).file;
    server = await startMockServer({ releasesDir: releases });
    nodeId = (await registerNode(server, 'exe-node')).id;
  });

  after(async () => {
    await unitAgent?.stop();
    await server?.close();
    await removeUserUnless(userExisted);
    rmSync(folder, { recursive: true, force: true });
  });

  it('installs the executable for this CPU, verified with OpenSSL: its files, owners and modes, and a unit that runs it', async () => {
    const { command } = await joinLine(server, nodeId);
    const { code, output } = await install(command, { bin, home: folder, root, node: '' });
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`verified agent ${VERSION.replace(/\./g, '\\.')} \\(exe, ${process.arch}\\), signed by release key [0-9a-f]{64}`));
    const user = await lormas();
    const dir = join(root, PREFIX);
    assert.deepEqual(owner(join(dir, 'lormas-agent')), { uid: 0, gid: 0, mode: '755' });
    assert.ok(readFileSync(join(dir, 'lormas-agent')).equals(readFileSync(exe)), 'the installed executable is not the signed build');
    assert.deepEqual(owner(join(dir, 'lormas-agent.release.json')), { uid: 0, gid: 0, mode: '644' });
    const release = JSON.parse(readFileSync(join(dir, 'lormas-agent.release.json'), 'utf8')) as { manifest: string };
    assert.equal(JSON.parse(release.manifest).kind, 'exe');
    assert.equal(existsSync(join(dir, 'agent.js')), false, 'the JavaScript build was installed too');
    assert.deepEqual(owner(join(dir, 'agent.conf')), { uid: 0, gid: user.gid, mode: '640' });
    // The executable joined as lormas: the token is its own.
    assert.deepEqual(owner(join(dir, 'state', 'node-token')), { uid: user.uid, gid: user.gid, mode: '600' });

    const unit = readFileSync(join(root, 'etc/systemd/system/lormas-agent.service'), 'utf8');
    assert.equal(unitValue(unit, 'ExecStart'), `${PREFIX}/lormas-agent launch`);
    assert.ok(!unit.includes(process.execPath), 'the unit runs Node.js');
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['daemon-reload', 'enable lormas-agent.service', 'restart lormas-agent.service']);
  });

  it("runs the unit's command as lormas: the executable's launcher starts it, and it comes online on Bun", async () => {
    const started = await runUnit(server, root, nodeId);
    unitAgent = started.agent;
    const { view } = started;
    assert.equal(view.agentVersion, VERSION);
    assert.equal(view.runtime?.name, 'bun', JSON.stringify(view.runtime));
    assert.deepEqual([view.build?.kind, view.build?.arch], ['exe', process.arch], JSON.stringify(view.build));
    assert.equal(view.upgrades.enabled, true, JSON.stringify(view.upgrades));
    assert.equal(await unitAgent.stop(), 0, unitAgent.output());
  });
});
