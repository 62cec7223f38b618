import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireEngine, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { REPO_ROOT, startAgentProcess } from './support/agentProcess.js';
import { call, registerNode } from './support/http.js';
import { nodeOnline } from './support/nodeWithAgent.js';
import { makeCa, makeServerCert, startTlsFront } from './support/tlsFront.js';

const PREFIX = 'lgr-tls-';
// The binary itself, as the agent's own tests run it: pnpm's shim would stand between signals and Bun.
const BUN = join(REPO_ROOT, 'packages', 'agent', 'node_modules', 'bun', 'bin', 'bun.exe');
const RUNTIMES: [string, string[] | undefined][] = [
  ['Node', undefined],
  ['Bun', [BUN, 'run', 'packages/agent/agent.ts']],
];

/**
 * Issue 13, item 7: a wss:// server's certificate is checked against the runtime's bundled
 * roots, NODE_EXTRA_CA_CERTS and CA_FILE together. Before, setting CA_FILE dropped the other
 * two: a server whose CA was given in NODE_EXTRA_CA_CERTS was refused as soon as CA_FILE was set.
 */
describe('trust roots for wss://, on Node and on Bun', () => {
  let server: MockServer;
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  const own = makeCa(dir, 'ca-file');
  const extra = makeCa(dir, 'node-extra');
  const stranger = makeCa(dir, 'stranger');
  const fronts: { url: string; close(): Promise<void> }[] = [];
  let byOwn: string;
  let byExtra: string;
  let byStranger: string;

  before(async () => {
    await requireEngine();
    server = await startMockServer();
    for (const [name, ca] of [['own', own], ['extra', extra], ['stranger', stranger]] as const) {
      fronts.push(await startTlsFront(makeServerCert(dir, `server-${name}`, ca), server.port));
    }
    [byOwn, byExtra, byStranger] = fronts.map((front) => front.url) as [string, string, string];
  });

  after(async () => {
    await Promise.all(fronts.map((front) => front.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [runtime, command] of RUNTIMES) {
    for (const [signedBy, url] of [['CA_FILE', () => byOwn], ['NODE_EXTRA_CA_CERTS', () => byExtra]] as const) {
      it(`${runtime}: connects to a server signed by the CA in ${signedBy}, with both set`, async () => {
        const name = `${PREFIX}${runtime}-${signedBy}`.toLowerCase();
        const node = await registerNode(server, name);
        const agent = startAgentProcess({ serverUrl: url(), token: node.token, nodeName: name, command, env: { CA_FILE: own.certFile, NODE_EXTRA_CA_CERTS: extra.certFile } });
        try {
          await nodeOnline(server, node.id, 30_000);
          assert.equal((await call(server, 'GET', `/api/nodes/${node.id}`)).body.runtime.name, runtime.toLowerCase());
        } finally {
          await agent.stop();
        }
      });
    }

    it(`${runtime}: refuses a server whose CA is in none of the three`, async () => {
      const name = `${PREFIX}${runtime}-stranger`.toLowerCase();
      const node = await registerNode(server, name);
      const agent = startAgentProcess({ serverUrl: byStranger, token: node.token, nodeName: name, command, env: { CA_FILE: own.certFile, NODE_EXTRA_CA_CERTS: extra.certFile } });
      try {
        await waitFor(() => /could not connect; retrying/.test(agent.output()), { timeoutMs: 30_000, what: 'a failed dial' });
        assert.match(agent.output(), /certificate|self.signed|issuer|UNABLE_TO_VERIFY|verify/i);
        assert.notEqual((await call(server, 'GET', `/api/nodes/${node.id}`)).body.status, 'online');
      } finally {
        await agent.stop();
      }
    });
  }
});
