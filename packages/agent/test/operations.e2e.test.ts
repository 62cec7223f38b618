import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentError, type ContainerSpecInput, type OperationEvent } from '@lormas/protocol';
import { docker, removeContainers, requireEngine, startRegistry, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { startInProcessAgent } from './support/inProcessAgent.js';
import { type Rig, startRig } from './support/rig.js';

const PREFIX = 'lormas-e2e-ops-';
const NODE = 'node-ops';

describe('agent operations through the reverse link, against the real engine', () => {
  let rig: Rig;
  let agent: ReturnType<typeof startInProcessAgent>;
  const client = () => rig.hub.client(NODE);
  let op = 0;
  const opId = () => `op-${process.pid}-${++op}`;
  const spec = (name: string, extra: Partial<ContainerSpecInput> = {}): ContainerSpecInput => ({
    name: PREFIX + name,
    image: TEST_IMAGE,
    cmd: ['sleep', '300'],
    networkMode: 'none',
    ...extra,
  });
  const inspect = async (name: string) => JSON.parse(await docker(['inspect', PREFIX + name]))[0];
  const refusal = (promise: Promise<unknown>) => promise.then(() => assert.fail('expected a refusal'), (e: unknown) => AgentError.from(e));

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX);
    await docker(['volume', 'rm', '-f', `${PREFIX}vol`]).catch(() => '');
    rig = await startRig();
    agent = startInProcessAgent(rig.url, NODE);
    await waitFor(() => rig.connects.some((c) => c.nodeId === NODE), { what: 'the agent to connect' });
  });

  after(async () => {
    await agent.agent.shutdown();
    await rig.close();
    await removeContainers(PREFIX);
    await docker(['volume', 'rm', '-f', `${PREFIX}vol`]).catch(() => '');
  });

  it('says hello with its versions and the engine version', async () => {
    const hello = await client().hello.query();
    assert.equal(hello.nodeName, NODE);
    assert.equal(hello.runtime.name, 'node');
    assert.match(hello.engineVersion ?? '', /^\d+\.\d+/);
  });

  it('creates and starts a container with the labels, env, mounts and restart policy asked for', async () => {
    const result = await client().containers.create.mutate({
      operationId: opId(),
      serverId: 'ctr_full',
      start: true,
      spec: spec('full', {
        env: { GREETING: 'hello world', EMPTY: '' },
        labels: { team: 'core' },
        mounts: [
          { type: 'volume', source: `${PREFIX}vol`, target: '/data' },
          { type: 'tmpfs', target: '/scratch' },
        ],
        restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
        resources: { memoryBytes: 64 * 1024 * 1024, pidsLimit: 64 },
        workingDir: '/data',
      }),
    });
    assert.equal(result.state, 'running');
    const engine = await inspect('full');
    assert.equal(engine.State.Running, true);
    assert.equal(engine.Config.Labels['lormas.managed'], 'true');
    assert.equal(engine.Config.Labels['lormas.node'], NODE);
    assert.equal(engine.Config.Labels['lormas.server-id'], 'ctr_full');
    assert.equal(engine.Config.Labels.team, 'core');
    assert.ok(engine.Config.Env.includes('GREETING=hello world'));
    assert.deepEqual(engine.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(engine.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(engine.HostConfig.NetworkMode, 'none');
    assert.ok(engine.Mounts.some((m: { Type: string; Name?: string; Destination: string }) => m.Type === 'volume' && m.Name === `${PREFIX}vol` && m.Destination === '/data'));
    const details = await client().containers.inspect.query({ id: result.containerId });
    assert.equal(details.serverId, 'ctr_full');
    assert.deepEqual(details.spec.env, { GREETING: 'hello world', EMPTY: '' });
    assert.deepEqual(details.spec.restartPolicy, { name: 'on-failure', maximumRetryCount: 3 });
  });

  it('lists only managed containers in the inventory', async () => {
    await docker(['create', '--name', `${PREFIX}foreign`, '--network', 'none', TEST_IMAGE, 'sleep', '300']);
    const inventory = await client().inventory.query();
    const names = inventory.containers.map((c) => c.name);
    assert.ok(names.includes(`${PREFIX}full`));
    assert.ok(!names.includes(`${PREFIX}foreign`));
  });

  it('stops, starts, restarts and removes a managed container', async () => {
    const { containerId } = await client().containers.create.mutate({ operationId: opId(), start: true, spec: spec('cycle') });
    await client().containers.stop.mutate({ operationId: opId(), id: containerId, timeoutSeconds: 1 });
    assert.equal((await inspect('cycle')).State.Running, false);
    await client().containers.start.mutate({ operationId: opId(), id: containerId });
    assert.equal((await inspect('cycle')).State.Running, true);
    const before = (await inspect('cycle')).State.StartedAt;
    await client().containers.restart.mutate({ operationId: opId(), id: containerId, timeoutSeconds: 1 });
    assert.notEqual((await inspect('cycle')).State.StartedAt, before);
    await client().containers.remove.mutate({ operationId: opId(), id: containerId, force: true });
    await assert.rejects(inspect('cycle'));
  });

  it('answers a replayed create with its first result and creates one container', async () => {
    const operationId = opId();
    const input = { operationId, spec: spec('replay') };
    const [first, second] = await Promise.all([client().containers.create.mutate(input), client().containers.create.mutate(input)]);
    const third = await client().containers.create.mutate(input);
    assert.deepEqual(first, second);
    assert.deepEqual(first, third);
    const ids = (await docker(['ps', '-aq', '--filter', `name=^${PREFIX}replay$`])).split('\n').filter(Boolean);
    assert.equal(ids.length, 1);
  });

  it('refuses an operation id reused for a different request', async () => {
    const operationId = opId();
    await client().containers.create.mutate({ operationId, spec: spec('reuse-a') });
    const error = await refusal(client().containers.create.mutate({ operationId, spec: spec('reuse-b') }));
    assert.equal(error.code, 'OPERATION_ID_REUSED');
  });

  it('streams the progress of a create as typed events', async () => {
    const operationId = opId();
    const events: OperationEvent[] = [];
    const watch = client().operations.watch.subscribe({ operationId }, { onData: ({ data }) => events.push(data) });
    await client().containers.create.mutate({ operationId, start: true, spec: spec('progress') });
    await waitFor(() => events.some((e) => e.type === 'succeeded'), { what: 'the succeeded event' });
    watch.unsubscribe();
    assert.deepEqual(
      events.map((e) => e.type),
      ['creating', 'created', 'starting', 'running', 'succeeded'],
    );
  });

  it('streams state changes that no command caused: a container that dies reports its exit code', async () => {
    const seen: { type: string; name: string; exitCode?: number; serverId?: string }[] = [];
    const subscription = client().containers.events.subscribe(undefined, { onData: ({ data }) => seen.push(data) });
    await client().containers.create.mutate({ operationId: opId(), start: true, serverId: 'ctr_dies', spec: spec('dies', { cmd: ['sh', '-c', 'exit 3'] }) });
    const died = await waitFor(() => seen.find((e) => e.type === 'die' && e.name === `${PREFIX}dies`), { what: 'the die event' });
    subscription.unsubscribe();
    assert.equal(died.exitCode, 3);
    assert.equal(died.serverId, 'ctr_dies');
    assert.ok(seen.some((e) => e.type === 'start' && e.name === `${PREFIX}dies`));
    assert.ok(!seen.some((e) => e.name === `${PREFIX}foreign`));
  });

  it('reports an engine error with a code and the engine message, and lives on', async () => {
    const error = await refusal(client().containers.create.mutate({ operationId: opId(), pull: 'never', spec: spec('noimage', { image: 'lormas-test/absent:1' }) }));
    assert.equal(error.code, 'NOT_FOUND');
    assert.match(error.message, /absent/);
    const taken = await refusal(client().containers.create.mutate({ operationId: opId(), spec: spec('full') }));
    assert.equal(taken.code, 'CONFLICT');
    assert.equal((await client().hello.query()).nodeName, NODE);
  });

  it('refuses to touch a container it did not create', async () => {
    for (const call of [
      () => client().containers.stop.mutate({ operationId: opId(), id: `${PREFIX}foreign` }),
      () => client().containers.start.mutate({ operationId: opId(), id: `${PREFIX}foreign` }),
      () => client().containers.remove.mutate({ operationId: opId(), id: `${PREFIX}foreign`, force: true }),
      () => client().containers.inspect.query({ id: `${PREFIX}foreign` }),
    ]) {
      assert.equal((await refusal(call())).code, 'NOT_MANAGED');
    }
    assert.ok(await inspect('foreign'));
  });

  it('refuses a foreign container by its full id, a stop and a remove alike, however often asked', async () => {
    const foreignId: string = (await inspect('foreign')).Id;
    for (let i = 0; i < 2; i++) {
      assert.equal((await refusal(client().containers.stop.mutate({ operationId: opId(), id: foreignId }))).code, 'NOT_MANAGED');
      assert.equal((await refusal(client().containers.remove.mutate({ operationId: opId(), id: foreignId, force: true }))).code, 'NOT_MANAGED');
    }
    assert.ok(await inspect('foreign'));
  });

  it('stops a container under the name it has now, and refuses a foreign container that took a removed one\'s id as its name', async () => {
    const { containerId } = await client().containers.create.mutate({ operationId: opId(), start: true, spec: spec('known') });
    await docker(['rename', `${PREFIX}known`, `${PREFIX}known-renamed`]);
    const stopped = await client().containers.stop.mutate({ operationId: opId(), id: containerId, timeoutSeconds: 0 });
    assert.deepEqual(stopped, { containerId, name: `${PREFIX}known-renamed`, state: 'exited' });
    // Removed by hand, and its id taken as the name of a container that is not the agent's: the
    // engine resolves a reference by full id first, then by name.
    await docker(['rm', '-f', containerId]);
    await docker(['run', '-d', '--name', containerId, '--network', 'none', TEST_IMAGE, 'sleep', '300']);
    try {
      assert.equal((await refusal(client().containers.stop.mutate({ operationId: opId(), id: containerId, timeoutSeconds: 0 }))).code, 'NOT_MANAGED');
      assert.equal((await refusal(client().containers.remove.mutate({ operationId: opId(), id: containerId, force: true }))).code, 'NOT_MANAGED');
      assert.equal(JSON.parse(await docker(['inspect', containerId]))[0].State.Running, true);
    } finally {
      await docker(['rm', '-f', containerId]);
    }
    assert.equal((await refusal(client().containers.stop.mutate({ operationId: opId(), id: containerId, timeoutSeconds: 0 }))).code, 'NOT_FOUND');
  });

  it("copies a volume's data between containers through archive transfers, one bounded chunk at a time", async () => {
    await docker(['volume', 'rm', '-f', `${PREFIX}src`, `${PREFIX}dst`]).catch(() => '');
    const source = await client().containers.create.mutate({
      operationId: opId(),
      start: true,
      spec: spec('arch-src', { cmd: ['sh', '-c', 'head -c 300000 /dev/urandom > /data/blob; echo hello > /data/note; sleep 300'], mounts: [{ type: 'volume', source: `${PREFIX}src`, target: '/data' }] }),
    });
    await waitFor(async () => (await docker(['exec', source.containerId, 'cat', '/data/note'])) === 'hello', { what: 'the source data' });
    await client().containers.stop.mutate({ operationId: opId(), id: source.containerId, timeoutSeconds: 0 });
    const target = await client().containers.create.mutate({
      operationId: opId(),
      spec: spec('arch-dst', { mounts: [{ type: 'volume', source: `${PREFIX}dst`, target: '/data' }] }),
    });
    const { transferId: readId } = await client().archives.openRead.mutate({ id: source.containerId, path: '/data' });
    // The write names the volume's mount point too: the archive's folder becomes the volume's root.
    const { transferId: writeId } = await client().archives.openWrite.mutate({ id: target.containerId, path: '/data' });
    let chunks = 0;
    for (;;) {
      const chunk = await client().archives.read.mutate({ transferId: readId, maxBytes: 64 * 1024 });
      assert.ok(Buffer.from(chunk.data, 'base64').length <= 64 * 1024);
      await client().archives.write.mutate({ transferId: writeId, data: chunk.data, done: chunk.done });
      if (chunk.done) break;
      chunks += 1;
    }
    assert.ok(chunks >= 5, `${chunks} chunks`);
    await client().containers.start.mutate({ operationId: opId(), id: target.containerId });
    const sum = async (id: string) => docker(['run', '--rm', '--network', 'none', '-v', `${id}:/d`, TEST_IMAGE, 'md5sum', '/d/blob']);
    assert.equal(await sum(`${PREFIX}dst`), await sum(`${PREFIX}src`));
    assert.equal(await docker(['exec', target.containerId, 'cat', '/data/note']), 'hello');
    const unknown = await refusal(client().archives.read.mutate({ transferId: readId }));
    assert.equal(unknown.code, 'NOT_FOUND');
    await removeContainers(`${PREFIX}arch-`);
    await docker(['volume', 'rm', '-f', `${PREFIX}src`, `${PREFIX}dst`]);
  });

  describe('guard rails', () => {
    const denied: [string, Partial<ContainerSpecInput>][] = [
      ['privileged', { privileged: true }],
      ['host-network', { networkMode: 'host' }],
      ['host-pid', { pidMode: 'host' }],
      ['host-ipc', { ipcMode: 'host' }],
      ['host-uts', { utsMode: 'host' }],
      ['cap-add', { capAdd: ['SYS_ADMIN'] }],
      ['devices', { devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/x' }] }],
      ['bind-mount', { mounts: [{ type: 'bind', source: '/srv/anything', target: '/x' }] }],
      ['bind-mount-forbidden', { mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' }] }],
      ['bind-mount-forbidden', { mounts: [{ type: 'bind', source: '/', target: '/host' }] }],
      ['bind-mount-forbidden', { mounts: [{ type: 'bind', source: '/etc', target: '/host-etc' }] }],
      ['security-opt', { securityOpt: ['seccomp=unconfined'] }],
    ];
    for (const [rule, extra] of denied) {
      it(`refuses ${JSON.stringify(extra)} with POLICY_DENIED (${rule}) and creates nothing`, async () => {
        const name = `denied-${rule}-${op}`;
        const error = await refusal(client().containers.create.mutate({ operationId: opId(), spec: spec(name, extra) }));
        assert.equal(error.code, 'POLICY_DENIED');
        assert.equal(error.rule, rule);
        await assert.rejects(inspect(name));
      });
    }
  });

  describe('pulls from a local registry', () => {
    let registry: Awaited<ReturnType<typeof startRegistry>>;
    before(async () => {
      registry = await startRegistry(5071);
    });
    after(async () => {
      await docker(['rmi', '-f', `${registry.host}/lormas-test/busybox:latest`]).catch(() => '');
      await registry.stop();
    });

    it('streams per-layer progress of a pull', async () => {
      const image = await registry.pushFreshImage(`ops-${process.pid}`);
      const operationId = opId();
      const events: OperationEvent[] = [];
      const watch = client().operations.watch.subscribe({ operationId }, { onData: ({ data }) => events.push(data) });
      const result = await client().images.pull.mutate({ operationId, image });
      await waitFor(() => events.some((e) => e.type === 'succeeded'), { what: 'the pull to succeed' });
      watch.unsubscribe();
      assert.match(result.imageId, /^sha256:/);
      const layers = events.filter((e) => e.type === 'pulling' && e.layer);
      assert.ok(layers.length > 0, 'per-layer events');
      assert.ok(layers.some((e) => e.type === 'pulling' && e.status === 'Downloading' && e.currentBytes! > 0 && e.totalBytes! > 0));
      assert.ok(layers.some((e) => e.type === 'pulling' && e.status === 'Pull complete'));
      assert.equal(events.at(-2)?.type, 'pulled');
      await docker(['rmi', '-f', image]);
    });

    it('pulls a missing image before creating, and reports it', async () => {
      await docker(['rmi', '-f', `${registry.host}/lormas-test/busybox:latest`]).catch(() => '');
      const operationId = opId();
      const events: OperationEvent[] = [];
      const watch = client().operations.watch.subscribe({ operationId }, { onData: ({ data }) => events.push(data) });
      await client().containers.create.mutate({ operationId, spec: spec('pulled', { image: `${registry.host}/lormas-test/busybox:latest` }) });
      await waitFor(() => events.some((e) => e.type === 'succeeded'), { what: 'the create to succeed' });
      watch.unsubscribe();
      const types = events.map((e) => e.type);
      assert.ok(types.indexOf('pulling') >= 0 && types.indexOf('pulled') < types.indexOf('creating'), types.join(','));
    });
  });
});
