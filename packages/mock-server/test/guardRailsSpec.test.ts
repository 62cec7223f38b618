import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { docker, engineState, type Proxy, removeContainers, requireEngine, startProxy, TEST_IMAGE } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { REPO_ROOT } from './support/agentProcess.js';
import { call } from './support/http.js';
import { type NodeWithAgent, refusalOf, startNodeWithAgent } from './support/nodeWithAgent.js';

const PREFIX = 'lgr-spec-';
const LABELLED_IMAGE = `${PREFIX}labelled:latest`;

/**
 * Issue 13, as an operator or a compromised server meets it through the mock server's API
 * against the real engine: security options, volumes, reserved labels, never-bindable paths
 * and the cap on running operations.
 */
describe('guard rails of a container spec, through the API', () => {
  let server: MockServer;
  let node: NodeWithAgent;
  let engineProxy: Proxy;
  const scratch = mkdtempSync(join(tmpdir(), PREFIX));
  const stateDir = join(scratch, 'state');
  const anonymous: string[] = [];

  const create = (name: string, spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    call(server, 'POST', '/api/containers', { body: { nodeId: node.id, spec: { name: `${PREFIX}${name}`, image: TEST_IMAGE, networkMode: 'none', cmd: ['sleep', '300'], ...spec }, ...extra } });
  const inspect = async (name: string) => JSON.parse(await docker(['inspect', `${PREFIX}${name}`]))[0];

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX, { volumes: true });
    await docker(['build', '-t', LABELLED_IMAGE, '-'], undefined, Buffer.from(`FROM ${TEST_IMAGE}\nLABEL lormas.fence-after-ms=1 lormas.server-id=ctr_evil lormas.future=x app=kept\n`));
    await docker(['volume', 'create', `${PREFIX}other-app`]);
    await docker(['volume', 'create', `${PREFIX}allowed`]);
    await docker(['volume', 'create', '-d', 'local', '-o', 'type=none', '-o', 'o=bind', '-o', 'device=/etc', `${PREFIX}etc`]);
    anonymous.push(await docker(['volume', 'create']));
    mkdirSync(join(scratch, 'plain'));
    // The agent reaches the engine through a socket in a folder of its own, as with a custom DOCKER_HOST.
    engineProxy = await startProxy({ target: { path: '/var/run/docker.sock' }, listenUnix: true });
    server = await startMockServer();
    node = await startNodeWithAgent(server, `${PREFIX}node`, {
      dockerSocket: engineProxy.address,
      env: { STATE_DIR: stateDir, BIND_ALLOW_LIST: '/', VOLUME_ALLOW_LIST: `${PREFIX}allowed,${PREFIX}etc`, MAX_RUNNING_OPERATIONS: '1' },
    });
  });

  after(async () => {
    await node?.agent.stop();
    await server?.close();
    await engineProxy?.close();
    await removeContainers(PREFIX, { volumes: true });
    await docker(['volume', 'rm', '-f', ...anonymous]).catch(() => '');
    await docker(['rmi', '-f', LABELLED_IMAGE]).catch(() => '');
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('item 1: securityOpt is an allow-list checked against the engine parser', () => {
    const refused = ['seccomp=null', 'seccomp= null', 'disable', 'label=disable', 'label=type:spc_t', 'label=level:s0:c1,c2', 'apparmor=lormas-complain', 'writable-cgroups=true', 'no-new-privileges=false'];
    for (const option of refused) {
      it(`answers ${JSON.stringify(option)} with 403 POLICY_DENIED (security-opt) and creates nothing`, async () => {
        const res = await create('secopt', { securityOpt: [option] });
        assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'security-opt'], res.text);
        assert.equal(await engineState(`${PREFIX}secopt`), null);
      });
    }

    it('creates a container with no-new-privileges and apparmor=docker-default', async () => {
      const res = await create('secopt-ok', { securityOpt: ['no-new-privileges:true', 'apparmor=docker-default'] });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual((await inspect('secopt-ok')).HostConfig.SecurityOpt, ['no-new-privileges:true', 'apparmor=docker-default']);
    });
  });

  describe('item 2: only volumes the agent owns are mounted', () => {
    const volume = (source: string) => ({ mounts: [{ type: 'volume', source, target: '/data' }] });

    it("refuses another application's volume with 403 (volume-not-owned)", async () => {
      const res = await create('vol-other', volume(`${PREFIX}other-app`));
      assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'volume-not-owned'], res.text);
      assert.equal(await engineState(`${PREFIX}vol-other`), null);
    });

    it('refuses an anonymous volume named by its id', async () => {
      const res = await create('vol-anon', volume(anonymous[0]!));
      assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'volume-not-owned'], res.text);
    });

    it("refuses a volume bound to the host's /etc, even when VOLUME_ALLOW_LIST names it (volume-host-path)", async () => {
      const res = await create('vol-etc', volume(`${PREFIX}etc`));
      assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'volume-host-path'], res.text);
      assert.equal(await engineState(`${PREFIX}vol-etc`), null);
    });

    it("refuses a volume made with the agent's labels by hand when its options bind a host path", async () => {
      const name = `${PREFIX}forged`;
      await docker(['volume', 'create', '--label', 'lormas.managed=true', '--label', `lormas.node=${node.id}`, '-o', 'type=none', '-o', 'o=bind', '-o', 'device=/etc', name]);
      const res = await create('vol-forged', volume(name));
      assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'volume-host-path'], res.text);
    });

    it('mounts a volume the operator allows', async () => {
      const res = await create('vol-allowed', volume(`${PREFIX}allowed`));
      assert.equal(res.status, 201, res.text);
    });

    it('creates a missing volume itself: local, no options, labelled as this node', async () => {
      const res = await create('vol-new', volume(`${PREFIX}fresh`));
      assert.equal(res.status, 201, res.text);
      const [created] = JSON.parse(await docker(['volume', 'inspect', `${PREFIX}fresh`]));
      assert.equal(created.Driver, 'local');
      assert.deepEqual(created.Options ?? {}, {});
      assert.deepEqual(created.Labels, { 'lormas.managed': 'true', 'lormas.node': node.id });
    });
  });

  describe("item 3: every lormas.* label is the agent's", () => {
    it("blanks the image's lormas.* labels the agent has no value for, and sets its own over the image's", async () => {
      const res = await create('labels', { image: LABELLED_IMAGE });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.fenceAfterMs, null);
      const labels = (await inspect('labels')).Config.Labels;
      assert.equal(labels['lormas.fence-after-ms'], '', 'not fenced unasked');
      assert.equal(labels['lormas.server-id'], res.body.id);
      assert.equal(labels['lormas.future'], '');
      assert.equal(labels['app'], 'kept', 'other image labels stay');
      const inventory = (await call(server, 'GET', `/api/containers/${res.body.id}`)).body;
      assert.equal(inventory.state, 'running');
    });

    it('sets fence-after-ms to the value asked for, over the image', async () => {
      const res = await create('labels-fenced', { image: LABELLED_IMAGE }, { fenceAfterMs: 60_000 });
      assert.equal(res.status, 201, res.text);
      assert.equal((await inspect('labels-fenced')).Config.Labels['lormas.fence-after-ms'], '60000');
    });
  });

  describe('item 8: paths never bindable, whatever the allow-list', () => {
    const never: [string, () => string][] = [
      ['the folder of the DOCKER_HOST socket', () => join(engineProxy.address, '..')],
      ["the agent's state folder", () => stateDir],
      ["the agent's working folder, whose .env holds its token", () => REPO_ROOT],
      ['/run/docker', () => '/run/docker'],
      ['/run/containerd', () => '/run/containerd'],
      ['/var/lib/containerd', () => '/var/lib/containerd'],
      ['/run/systemd', () => '/run/systemd'],
      ['/run/dbus/system_bus_socket', () => '/run/dbus/system_bus_socket'],
      ["the engine's data root", () => '/var/lib/docker/volumes'],
    ];
    for (const [what, source] of never) {
      it(`refuses ${what} with 403 (bind-mount-forbidden) although "/" is allowed`, async () => {
        const res = await create('never', { mounts: [{ type: 'bind', source: source(), target: '/host' }] });
        assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'bind-mount-forbidden'], `${source()}: ${res.text}`);
      });
    }

    it('binds an ordinary folder', async () => {
      const res = await create('bind-plain', { mounts: [{ type: 'bind', source: join(scratch, 'plain'), target: '/host' }] });
      assert.equal(res.status, 201, res.text);
    });
  });

  describe('item 10: caps', () => {
    it('answers 429 LIMIT_EXCEEDED while MAX_RUNNING_OPERATIONS commands run, and takes the next one after', async () => {
      const res = await create('slow', { cmd: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'] });
      assert.equal(res.status, 201, res.text);
      const stopping = call(server, 'POST', `/api/containers/${res.body.id}/stop`, { body: { timeoutSeconds: 3 } });
      let refused: Awaited<ReturnType<typeof create>> | null = null;
      // Until the stop has reached the agent a create may still pass; each try has a name of its own.
      for (let attempt = 0; attempt < 20 && refused === null; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const second = await create(`second-${attempt}`);
        if (second.status !== 201) refused = second;
      }
      assert.ok(refused, 'a create while the stop ran was refused');
      assert.deepEqual(refusalOf(refused), [429, 'LIMIT_EXCEEDED', undefined], refused.text);
      assert.equal((await stopping).status, 200);
      assert.equal((await create('after')).status, 201);
    });
  });
});
