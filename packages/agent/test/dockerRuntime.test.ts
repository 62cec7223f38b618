import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AgentError, ContainerSpec, type ContainerSpecInput } from '@lormas/protocol';
import { DEFAULT_DOCKER_SOCKET, TEST_IMAGE, docker, ensureTestImage, requireEngine, startRegistry, waitFor, type Registry } from '@lormas/testkit';
import type { PullProgress, RuntimeEvent } from '../src/docker/ContainerRuntime.js';
import { createDockerRuntime } from '../src/docker/dockerRuntime.js';

const RUN = `lrt${process.pid}`;
const RUN_LABEL = { 'test-run': RUN };
const REGISTRY_PORT = 5100 + (process.pid % 100);
const runtime = createDockerRuntime({ dockerHost: `unix://${DEFAULT_DOCKER_SOCKET}` });

function specOf(name: string, extra: Partial<ContainerSpecInput> = {}): ContainerSpec {
  const spec = ContainerSpec.parse({
    name: `${RUN}-${name}`,
    image: TEST_IMAGE,
    networkMode: 'none',
    // The test image has no command of its own.
    cmd: ['sleep', '300'],
    ...extra,
    labels: { ...RUN_LABEL, ...extra.labels },
  });
  // `cmd: undefined` in `extra` means "no command": drop the key rather than keep it empty.
  if (spec.cmd === undefined) delete spec.cmd;
  return spec;
}

async function rejectsWith(promise: Promise<unknown>, code: AgentError['code']): Promise<AgentError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}, but it resolved`),
    (error: unknown) => error,
  );
  assert.ok(err instanceof AgentError, `expected an AgentError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Splits Docker's multiplexed log stream into its frames. */
function demux(raw: Buffer): { stream: number; text: string }[] {
  const frames = [];
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    frames.push({ stream: raw[at]!, text: raw.subarray(at + 8, at + 8 + size).toString('utf8') });
    at += 8 + size;
  }
  return frames;
}

async function waitExited(id: string): Promise<void> {
  await waitFor(async () => (await runtime.inspect(id)).state === 'exited', { what: `${id} to exit` });
}

before(async () => {
  await requireEngine();
  await ensureTestImage();
});

after(async () => {
  const ids = await docker(['ps', '-aq', '--filter', `label=test-run=${RUN}`]);
  if (ids) await docker(['rm', '-f', '-v', ...ids.split('\n')]);
  const volumes = await docker(['volume', 'ls', '-q', '--filter', `name=${RUN}`]);
  if (volumes) await docker(['volume', 'rm', ...volumes.split('\n')]);
});

describe('docker runtime against the real engine', () => {
  it('answers ping with the engine and API versions', async () => {
    const info = await runtime.ping();
    assert.match(info.apiVersion, /^1\.\d+$/);
    assert.ok(info.version.length > 0);
  });

  it('creates a container with every supported field, and inspect reads back the same spec', async () => {
    const spec = specOf('full', {
      cmd: ['sh', '-c', 'sleep 30'],
      env: { MODE: 'test', WITH_EQUALS: 'a=b' },
      labels: { team: 'blue' },
      workingDir: '/tmp',
      user: '65534',
      mounts: [
        { type: 'volume', source: `${RUN}-full-data`, target: '/data' },
        { type: 'tmpfs', target: '/scratch', sizeBytes: 8 * 1024 * 1024 },
        { type: 'volume', source: `${RUN}-full-ro`, target: '/ro', readOnly: true },
      ],
      restartPolicy: { name: 'on-failure', maximumRetryCount: 2 },
      resources: { memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 50 },
      healthcheck: { test: ['CMD', 'true'], intervalMs: 1_000, timeoutMs: 500, retries: 2, startPeriodMs: 100 },
      stopTimeoutSeconds: 3,
      capAdd: ['NET_ADMIN'],
      securityOpt: ['no-new-privileges'],
    });
    const id = await runtime.create(spec, { 'lormas.managed': 'true', 'lormas.node': 'n1', 'lormas.server-id': 'srv-1' });
    const details = await runtime.inspect(id);
    assert.deepEqual(details.spec, spec);
    assert.equal(details.serverId, 'srv-1');
    assert.equal(details.state, 'created');
    assert.equal(details.labels['lormas.managed'], 'true');

    // The engine's own view, not the runtime's reading of it.
    const raw = JSON.parse(await docker(['inspect', id]))[0];
    assert.equal(raw.Config.Labels.team, 'blue');
    assert.ok(raw.Config.Env.includes('WITH_EQUALS=a=b'));
    assert.deepEqual(raw.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    assert.equal(raw.HostConfig.Memory, 64 * 1024 * 1024);
    assert.deepEqual(
      raw.HostConfig.Mounts.map((m: { Type: string; Target: string }) => `${m.Type}:${m.Target}`),
      ['volume:/data', 'tmpfs:/scratch', 'volume:/ro'],
    );

    await runtime.start(id);
    await waitFor(async () => (await runtime.inspect(id)).running, { what: 'the full container to run' });
    const mounts = await docker(['exec', id, 'sh', '-c', 'id -u; mount | grep -E " /(data|scratch|ro) "']);
    assert.match(mounts, /^65534/);
    assert.match(mounts, /\/scratch type tmpfs .*size=8192k/);
    assert.match(mounts, /\/ro .*\(ro,/);
  });

  it('reads back specs that leave fields to the image and the engine defaults unchanged', async () => {
    const specs = [
      specOf('rt-min'),
      specOf('rt-entry', { cmd: undefined, entrypoint: ['sleep', '300'] }),
      specOf('rt-no', { restartPolicy: { name: 'no' }, env: { PATH: '/usr/local/bin:/bin' } }),
      specOf('rt-always', { restartPolicy: { name: 'unless-stopped' }, mounts: [{ type: 'tmpfs', target: '/t', readOnly: true }] }),
    ];
    for (const spec of specs) {
      const id = await runtime.create(spec, {});
      assert.deepEqual((await runtime.inspect(id)).spec, spec, spec.name);
    }
  });

  it('starts, stops with the exit code, restarts and removes a container', async () => {
    const id = await runtime.create(specOf('life', { cmd: ['sh', '-c', 'trap "exit 3" TERM; while true; do sleep 0.1; done'] }), {});
    await runtime.start(id);
    await runtime.start(id);
    assert.equal((await runtime.inspect(id)).running, true);
    assert.deepEqual(await runtime.stop(id, 5), { exitCode: 3 });
    assert.deepEqual(await runtime.stop(id, 5), { exitCode: 3 }, 'stopping a stopped container is not an error');
    const stopped = await runtime.inspect(id);
    assert.equal(stopped.state, 'exited');
    assert.equal(stopped.exitCode, 3);
    assert.ok(stopped.finishedAt !== null && stopped.startedAt !== null);
    await runtime.restart(id, 1);
    assert.equal((await runtime.inspect(id)).running, true);
    await runtime.remove(id, { force: true, removeVolumes: true });
    await rejectsWith(runtime.inspect(id), 'NOT_FOUND');
  });

  it('stops a container that never ran without an exit code', async () => {
    const id = await runtime.create(specOf('never-ran'), {});
    assert.deepEqual(await runtime.stop(id, 0), { exitCode: null });
    await runtime.remove(id, { force: true, removeVolumes: true });
  });

  it('lists containers by label and reads a container labels', async () => {
    const id = await runtime.create(specOf('listed', { labels: { 'test-case': 'list' } }), { 'lormas.server-id': 'srv-list' });
    const listed = await runtime.list({ ...RUN_LABEL, 'test-case': 'list' });
    assert.deepEqual(listed.map((c) => [c.id, c.name, c.state, c.serverId]), [[id, `${RUN}-listed`, 'created', 'srv-list']]);
    const labels = await runtime.labelsOf(`${RUN}-listed`);
    assert.equal(labels.id, id);
    assert.equal(labels.labels['test-case'], 'list');
    assert.equal(labels.tty, false);
    assert.equal(labels.running, false);
    // The engine's own filters: a label by key alone, and running containers only.
    const fenced = await runtime.create(specOf('listed-fenced'), { 'test-case': 'list', 'lormas.fence-after-ms': '1000' });
    const byKey = await runtime.list({ ...RUN_LABEL, 'test-case': 'list' }, { withLabel: 'lormas.fence-after-ms' });
    assert.deepEqual(byKey.map((c) => c.id), [fenced]);
    assert.deepEqual(await runtime.list({ ...RUN_LABEL, 'test-case': 'list' }, { running: true }), []);
    await runtime.start(fenced);
    assert.deepEqual((await runtime.list({ ...RUN_LABEL, 'test-case': 'list' }, { running: true, withLabel: 'lormas.fence-after-ms' })).map((c) => c.id), [fenced]);
  });

  it('rejects with NOT_FOUND for a missing container and a missing image', async () => {
    await rejectsWith(runtime.inspect(`${RUN}-missing`), 'NOT_FOUND');
    await rejectsWith(runtime.start(`${RUN}-missing`), 'NOT_FOUND');
    await rejectsWith(runtime.stop(`${RUN}-missing`), 'NOT_FOUND');
    await rejectsWith(runtime.remove(`${RUN}-missing`, { force: true, removeVolumes: false }), 'NOT_FOUND');
    const err = await rejectsWith(runtime.create(specOf('noimage', { image: 'lormas-test/absent:never' }), {}), 'NOT_FOUND');
    assert.match(err.message, /No such image/i);
    assert.equal(await runtime.imageLabels('lormas-test/absent:never'), undefined);
    assert.deepEqual(await runtime.imageLabels(TEST_IMAGE), {});
  });

  it('rejects with CONFLICT when the name is taken, with the engine message', async () => {
    await runtime.create(specOf('taken'), {});
    const err = await rejectsWith(runtime.create(specOf('taken'), {}), 'CONFLICT');
    assert.match(err.message, /already in use/);
  });

  it('returns the raw multiplexed log stream of a non-TTY container, with timestamps', async () => {
    const id = await runtime.create(specOf('logs', { cmd: ['sh', '-c', 'echo out; echo err >&2'] }), {});
    await runtime.start(id);
    await waitExited(id);
    const frames = demux(await readAll(await runtime.logs(id, { follow: false, stdout: true, stderr: true })));
    const byStream = new Map(frames.map((f) => [f.stream, f.text]));
    assert.match(byStream.get(1) ?? '', /^\d{4}-\d\d-\d\dT[\d:.]+Z out\n$/);
    assert.match(byStream.get(2) ?? '', /^\d{4}-\d\d-\d\dT[\d:.]+Z err\n$/);
  });

  it('returns plain bytes for a TTY container', async () => {
    const id = await runtime.create(specOf('tty', { tty: true, cmd: ['sh', '-c', 'echo hello-tty'] }), {});
    await runtime.start(id);
    await waitExited(id);
    const raw = (await readAll(await runtime.logs(id, { follow: false, stdout: true, stderr: true }))).toString('utf8');
    assert.match(raw, /^\d{4}-\d\d-\d\dT[\d:.]+Z hello-tty\r\n$/);
  });

  it('follows the log stream of a running container', async () => {
    const id = await runtime.create(specOf('follow', { cmd: ['sh', '-c', 'for i in $(seq 1 200); do echo line-$i; sleep 0.05; done'] }), {});
    await runtime.start(id);
    const stream = await runtime.logs(id, { follow: true, stdout: true, stderr: true, tail: 0 });
    let seen = '';
    stream.on('data', (chunk: Buffer) => (seen += chunk.toString('utf8')));
    await waitFor(() => /line-\d+/.test(seen), { what: 'a followed log line' });
    stream.destroy();
  });

  it('streams container events for labelled containers: start, and die with its exit code', async () => {
    const labels = { ...RUN_LABEL, 'test-case': 'events' };
    const abort = new AbortController();
    const seen: RuntimeEvent[] = [];
    const watching = (async () => {
      for await (const event of runtime.events(labels, abort.signal)) seen.push(event);
    })();
    // The watch is live once it reports a container created after it began.
    let probes = 0;
    await waitFor(
      async () => {
        await runtime.create(specOf(`probe${probes++}`, { labels: { 'test-case': 'events' } }), {});
        return seen.some((e) => e.type === 'create');
      },
      { intervalMs: 100, what: 'the event watch to see a create' },
    );
    const id = await runtime.create(specOf('dies', { labels: { 'test-case': 'events' }, cmd: ['sh', '-c', 'exit 7'] }), {});
    await runtime.start(id);
    const died = await waitFor(() => seen.find((e) => e.type === 'die' && e.containerId === id), { what: 'a die event' });
    assert.equal(died.exitCode, 7);
    assert.equal(died.name, `${RUN}-dies`);
    assert.equal(died.labels['test-case'], 'events');
    assert.ok(seen.some((e) => e.type === 'start' && e.containerId === id));
    abort.abort();
    await watching;
  });

  it('copies a volume through the archive API: put into one container, get from another', async () => {
    const volume = `${RUN}-share`;
    const mounts = [{ type: 'volume' as const, source: volume, target: '/data' }];
    const writer = await runtime.create(specOf('arch-w', { mounts }), {});
    const reader = await runtime.create(specOf('arch-r', { mounts }), {});
    const dir = mkdtempSync(join(tmpdir(), 'lormas-archive-'));
    try {
      writeFileSync(join(dir, 'hello.txt'), 'archived bytes\n');
      const tar = spawn('tar', ['-C', dir, '-c', 'hello.txt'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await runtime.putArchive(writer, '/data', tar.stdout);
      const archive = await runtime.getArchive(reader, '/data/hello.txt');
      const untar = spawn('tar', ['-x', '-O'], { stdio: ['pipe', 'pipe', 'inherit'] });
      archive.pipe(untar.stdin);
      assert.equal((await readAll(untar.stdout)).toString('utf8'), 'archived bytes\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await rejectsWith(runtime.getArchive(reader, '/data/absent'), 'NOT_FOUND');
    const orphan = spawn('tar', ['-C', tmpdir(), '-c', '--files-from', '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await rejectsWith(runtime.putArchive(`${RUN}-missing`, '/data', orphan.stdout), 'NOT_FOUND');
  });

  it('rejects with ENGINE_UNAVAILABLE when no engine answers', async () => {
    const offline = createDockerRuntime({ dockerHost: 'unix:///nonexistent.sock' });
    await rejectsWith(offline.ping(), 'ENGINE_UNAVAILABLE');
    await rejectsWith(offline.list({}), 'ENGINE_UNAVAILABLE');
    await rejectsWith(offline.inspect('anything'), 'ENGINE_UNAVAILABLE');
    const events = offline.events({}, new AbortController().signal)[Symbol.asyncIterator]();
    await rejectsWith(events.next(), 'ENGINE_UNAVAILABLE');
  });
});

describe('docker runtime pulls from a local registry', () => {
  let registry: Registry;
  let image: string;

  before(async () => {
    registry = await startRegistry(REGISTRY_PORT);
    // A layer the engine does not have yet, so the pull downloads it and reports bytes.
    image = await registry.pushFreshImage(`${RUN}-blob`);
  });

  after(async () => {
    await docker(['rmi', '-f', image, `${registry.host}/lormas-test/busybox:latest`]).catch(() => undefined);
    await registry?.stop();
  });

  it('pulls an image reporting per-layer progress, and resolves with the image id', async () => {
    const progress: PullProgress[] = [];
    const imageId = await runtime.pull(image, (line) => progress.push(line));
    assert.equal(imageId, await docker(['image', 'inspect', '--format', '{{.Id}}', image]));
    const downloading = progress.filter((p) => p.status === 'Downloading');
    assert.ok(downloading.length > 0, 'some Downloading lines');
    assert.ok(downloading.every((p) => p.layer && p.currentBytes! > 0 && p.totalBytes! > 0));
    assert.ok(progress.some((p) => p.status === 'Pull complete' && p.layer === downloading[0]!.layer));
  });

  it('stops a pull when its signal aborts, rejecting with a coded error', async () => {
    const abort = new AbortController();
    abort.abort();
    await rejectsWith(runtime.pull(image, () => undefined, abort.signal), 'INTERNAL');
  });

  it('rejects the pull of a tag the registry does not have, with the engine message', async () => {
    const err = await runtime.pull(`${registry.host}/lormas-test/${RUN}:absent`, () => undefined).then(
      () => assert.fail('expected a rejection'),
      (error: unknown) => error as AgentError,
    );
    assert.ok(err instanceof AgentError);
    assert.ok(err.code === 'NOT_FOUND' || err.code === 'ENGINE_ERROR', err.code);
    assert.match(err.message, /not found|unknown/i);
  });
});
