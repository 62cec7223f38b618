import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { docker, engineState, removeContainers, requireEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call, registerNode } from './support/http.js';
import { nodeOnline, startNodeWithAgent } from './support/nodeWithAgent.js';
import { startRecordingProxy } from './support/recordingProxy.js';

const PREFIX = 'lgr-link-';

/** The agent's JSON log lines with message `msg`. */
function logLines(agent: AgentProcess, msg: string): { level: string; refusal?: string }[] {
  return agent
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; msg: string; refusal?: string })
    .filter((line) => line.msg === msg);
}

describe('the link of an agent to the mock server', () => {
  let server: MockServer;
  const scratch = mkdtempSync(join(tmpdir(), PREFIX));

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX);
    server = await startMockServer({ lostAfterMs: 60_000 });
  });

  after(async () => {
    await server?.close();
    await removeContainers(PREFIX);
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('item 7: a SERVER_URL the agent cannot use stops it with one line, exit 2, no credential', () => {
    const cases: [string, (base: string) => string, RegExp][] = [
      ['a fragment', (base) => `${base}/agent#frag`, /fragment/],
      ['user info', (base) => base.replace('ws://', 'ws://operator:s3cret-word@'), /user info/],
      ['an http:// scheme', (base) => base.replace('ws://', 'http://'), /ws:\/\/ or wss:\/\//],
    ];
    for (const [what, url, reason] of cases) {
      it(`refuses ${what}`, async () => {
        const agent = startAgentProcess({ serverUrl: url(server.url.replace(/^http/, 'ws')), token: 'x-token', nodeName: `${PREFIX}url` });
        const [code] = await once(agent.child, 'exit');
        const output = agent.output().trim();
        assert.equal(code, 2, output);
        assert.equal(output.split('\n').length, 1, output);
        assert.match(output, /^lormas-agent: SERVER_URL: /);
        assert.match(output, reason);
        assert.doesNotMatch(output, /s3cret-word/);
      });
    }
  });

  describe("item 9: the token leaves only in the Authorization header, unless TOKEN_IN_QUERY", () => {
    for (const inQuery of [false, true]) {
      it(inQuery ? 'also puts it in the query string with TOKEN_IN_QUERY=true' : 'keeps it out of the request line a proxy logs', async () => {
        const proxy = await startRecordingProxy(server.port);
        const name = `${PREFIX}query-${inQuery}`;
        const node = await registerNode(server, name);
        const agent = startAgentProcess({ serverUrl: proxy.url, token: node.token, nodeName: name, env: inQuery ? { TOKEN_IN_QUERY: 'true' } : {} });
        try {
          await nodeOnline(server, node.id);
          const upgrade = proxy.heads.find((head) => /^GET /.test(head))!;
          const requestLine = upgrade.split('\r\n')[0]!;
          assert.equal(requestLine.includes(node.token), inQuery, requestLine);
          assert.match(upgrade, new RegExp(`\r\nauthorization: Bearer ${node.token.replace(/\./g, '\\.')}`, 'i'));
        } finally {
          await agent.stop();
          await proxy.close();
        }
      });
    }
  });

  describe('items 6 and 11: a replaced token, and fencing that counts from the last accepted session', () => {
    const FENCE_AFTER_MS = 8_000;
    const stateDir = join(scratch, 'state');
    const env = { STATE_DIR: stateDir, RECONNECT_REFUSED_DELAY_MS: '300', LOG_LEVEL: 'debug' };
    let node: { id: string; token: string; agent: AgentProcess };
    let fenced: { id: string; name: string };
    let plain: { id: string; name: string };
    let newToken: string;
    let replacedAt = 0;
    const createRunning = async (name: string, extra: Record<string, unknown>) => {
      const res = await call(server, 'POST', '/api/containers', {
        body: { nodeId: node.id, ha: true, spec: { name: `${PREFIX}${name}`, image: TEST_IMAGE, networkMode: 'none', cmd: ['sleep', '300'], stopTimeoutSeconds: 0 }, ...extra },
      });
      assert.equal(res.status, 201, res.text);
      return res.body as { id: string; name: string };
    };

    before(async () => {
      node = await startNodeWithAgent(server, `${PREFIX}fenced`, { env });
      fenced = await createRunning('fenced', { fenceAfterMs: FENCE_AFTER_MS });
      plain = await createRunning('plain', {});
    });
    after(() => node?.agent.stop());

    it('issues a new token, closes the agent holding the old one with 4403, and keeps the node and its containers', async () => {
      const res = await call(server, 'POST', `/api/nodes/${node.id}/token`);
      replacedAt = Date.now();
      assert.equal(res.status, 200, res.text);
      newToken = res.body.token;
      assert.notEqual(newToken, node.token);
      await waitFor(() => logLines(node.agent, 'server refused this agent; retrying slowly').some((line) => line.refusal === 'Revoked (4403)'), { what: 'the 4403 close' });
      await waitFor(async () => (await call(server, 'GET', `/api/nodes/${node.id}`)).body.status !== 'online', { what: 'the node offline' });
      const listed = (await call(server, 'GET', `/api/containers?nodeId=${node.id}`)).body.containers.map((c: { id: string }) => c.id);
      assert.deepEqual(listed.sort(), [fenced.id, plain.id].sort());
    });

    it('refuses the old token at every retry, logging each refusal once at error level and its repeats at debug', async () => {
      await waitFor(() => logLines(node.agent, 'server refused this agent; retrying slowly').filter((line) => line.refusal === 'Unauthorized (4401)').length >= 3, { what: 'three refusals of the old token' });
      const refusals = logLines(node.agent, 'server refused this agent; retrying slowly');
      assert.deepEqual(refusals.filter((line) => line.level === 'error').map((line) => line.refusal), ['Revoked (4403)', 'Unauthorized (4401)']);
      assert.ok(refusals.filter((line) => line.level === 'debug').length >= 2);
    });

    it('fences on time although refused sockets keep opening, and across a restart of the agent counts on from the session, neither at once nor from zero', async () => {
      await node.agent.stop();
      // Restarted halfway through the fence, still cut off: its own start must not restart the count.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, replacedAt + FENCE_AFTER_MS / 2 - Date.now())));
      const restartedAt = Date.now();
      node.agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: node.token, nodeName: `${PREFIX}fenced`, env });
      await waitFor(async () => (await engineState(fenced.name)) === 'exited', { timeoutMs: FENCE_AFTER_MS + 5_000, what: 'the fenced container to stop' });
      const stoppedAt = Date.parse(await docker(['inspect', '-f', '{{.State.FinishedAt}}', fenced.name]));
      assert.ok(stoppedAt >= replacedAt + FENCE_AFTER_MS - 1_000, `stopped ${stoppedAt - replacedAt} ms after the session ended: too early`);
      assert.ok(stoppedAt < restartedAt + FENCE_AFTER_MS - 1_000, `stopped ${stoppedAt - restartedAt} ms after the restart: counted from zero`);
      assert.equal(await engineState(plain.name), 'running');
    });

    it('comes back online with the new token, its containers still known', async () => {
      await node.agent.stop();
      node.agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: newToken, nodeName: `${PREFIX}fenced`, env });
      await nodeOnline(server, node.id);
      assert.equal((await call(server, 'GET', `/api/containers/${plain.id}`)).body.state, 'running');
      assert.equal((await call(server, 'GET', `/api/containers/${fenced.id}`)).body.nodeId, node.id);
    });
  });
});
