import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { checkFuzz, describeFuzz, fuzzSettings, waitFor } from '@lormas/testkit';
import fc from 'fast-check';
import type { WebSocket } from 'ws';
import { DEFAULT_HTTP_LIMITS } from '../src/http/HttpLimits.js';
import type { RouteInfo } from '../src/http/Router.js';
import { startMockServer } from '../src/index.js';
import { DATABASE_FILE } from '../src/store/Store.js';
import { acceptingHandlers } from './support/acceptingHandlers.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call, registerNode } from './support/http.js';
import { idsIn, judgeExchange } from './support/judgeExchange.js';
import { exchange } from './support/rawHttp.js';
import { type FuzzContext, routeRequests, unroutedRequests, upgradeRequests, type WireRequest } from './support/routeRequests.js';
import { type ServerProcess, startServerProcess } from './support/serverProcess.js';
import { type NodeHealthWatch, watchNodeHealth } from './support/watchNodeHealth.js';
import { storeProblems } from './support/storeProblems.js';
import { dialStubAgent } from './support/stubAgent.js';
import { renderRequest } from './support/wireRequest.js';

/**
 * Each run delivers one request, a pipeline of two to four, or one cut off mid-way. The
 * long mode sends at least 10,000 requests (it checks); the quick one keeps `pnpm test` fast.
 */
const settings = fuzzSettings({ quick: 500, long: 10_000 });

type Delivery = { kind: 'single' | 'pipelined'; requests: WireRequest[] } | { kind: 'cut'; requests: [WireRequest]; cutAt: number };

/** Heartbeat silence after which the server calls a node suspect: 10 of the real agent's beats. */
const SUSPECT_AFTER_MS = 2_000;

describe('HTTP fuzzing (issue 12): no request ends the mock server', () => {
  let routes: RouteInfo[];
  let server: ServerProcess;
  let dataDir: string;
  let realAgent: AgentProcess;
  let realNodeId: string;
  const stubAgents: WebSocket[] = [];
  let stubNodeId = '';
  /** The server's judgement of the real agent's node whenever it was not plainly online. */
  let health: NodeHealthWatch | undefined;
  const harvested: string[] = [];
  const protectedIds = new Set<string>();
  const sentTo = new Map<string, { sent: number; reachedHandler: number; statuses: Record<string, number> }>();
  let requestsSent = 0;
  /** A read-only look at the server's database while it runs. */
  let database: Database.Database;
  const storeFindings: string[] = [];
  const rowsSeen: Record<string, number> = {};

  /** Reads the whole store back and checks every row; remembers the most rows of each table seen. */
  function checkStore(): string[] {
    for (const table of ['nodes', 'clusters', 'containers', 'migrations']) {
      const { n } = database.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };
      rowsSeen[table] = Math.max(rowsSeen[table] ?? 0, n);
    }
    return storeProblems(database);
  }

  const context: FuzzContext = {
    adminToken: '',
    routes: [],
    seeded: [],
    known: () => harvested,
    // Below and above the default body limit, which the server process keeps.
    hugeLengths: [10_000, 100_000, 1_100_000],
    maxBodyBytes: DEFAULT_HTTP_LIMITS.maxBodyBytes,
  };
  const remember = (id: string) => {
    if (protectedIds.has(id) || harvested.includes(id)) return;
    harvested.push(id);
    if (harvested.length > 200) harvested.shift();
  };

  /**
   * The node whose stub agent carries out commands is the fuzzer's way into the container
   * routes: a body or path naming it reaches an agent. When the fuzz cuts it off (it may:
   * `DELETE /api/nodes/:id` revokes it, `POST /api/nodes/:id/token` replaces its token), a
   * new one takes its place.
   */
  async function ensureStubNode(): Promise<void> {
    if (stubNodeId && (await call(server, 'GET', `/api/nodes/${stubNodeId}`)).body?.status === 'online') return;
    const name = `fuzz-stub-agent-${stubAgents.length}`;
    const stub = await registerNode(server, name);
    stubAgents.push(dialStubAgent(server.url.replace(/^http/, 'ws'), stub.token, acceptingHandlers(name)));
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${stub.id}`)).body?.status === 'online', { what: `stub agent ${name} online` });
    stubNodeId = stub.id;
    context.seeded = [stub.id, name];
  }

  before(async () => {
    // The route table, read from an in-process server: the fuzzer derives every request from it.
    const probe = await startMockServer();
    routes = [...probe.routes];
    await probe.close();
    dataDir = mkdtempSync(join(tmpdir(), 'lormas-http-fuzz-'));
    server = await startServerProcess({ DATA_DIR: dataDir, LOST_AFTER_MS: '6000', SUSPECT_AFTER_MS: String(SUSPECT_AFTER_MS), LOG_LEVEL: 'info' });
    context.adminToken = server.adminToken;
    context.routes = routes;
    database = new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
    const real = await registerNode(server, 'fuzz-real-agent');
    realNodeId = real.id;
    protectedIds.add(real.id).add('fuzz-real-agent');
    // The real agent's engine is unreachable on purpose: a node whose engine is down is never
    // a migration target, so nothing the fuzzer sends makes it create containers on the shared engine.
    realAgent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: real.token, nodeName: 'fuzz-real-agent', dockerSocket: '/nonexistent/lormas-fuzz-docker.sock' });
    await waitFor(
      async () => {
        const node = (await call(server, 'GET', `/api/nodes/${real.id}`)).body;
        return node?.status === 'online' && node.health === 'online' && node.lastHeartbeatAt;
      },
      // Start-up only, no timing judged: on a machine busy with other work the real agent took over 30 s from its sources.
      { timeoutMs: 90_000, what: () => `the real agent online (it said: ${realAgent.output().slice(-500)})` },
    );
    await ensureStubNode();
    health = watchNodeHealth(server, realNodeId);
  });

  after(async () => {
    health?.stop();
    database?.close();
    for (const socket of stubAgents) socket.terminate();
    await realAgent?.stop();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function deliver(delivery: Delivery): Promise<string[]> {
    const payload = Buffer.concat(delivery.requests.map((request) => request.bytes));
    const result = await exchange({
      port: server.port,
      payload: delivery.kind === 'cut' ? payload.subarray(0, delivery.cutAt) : payload,
      methods: delivery.requests.map((request) => request.method),
      endAfterPayload: delivery.kind === 'cut',
    });
    requestsSent += delivery.requests.length;
    const answers = result.openStream ? [...result.responses, result.openStream] : result.responses;
    delivery.requests.forEach((request, index) => {
      const count = sentTo.get(request.route) ?? { sent: 0, reachedHandler: 0, statuses: {} };
      count.sent++;
      const status = answers[index]?.status;
      count.statuses[status ?? 'none'] = (count.statuses[status ?? 'none'] ?? 0) + 1;
      // Past the token, the routing and the body checks: the handler ran (a 401 to the admin token is the handler's own).
      const refusedBefore = [405, 413, 415, ...(request.authorized ? [] : [401])];
      if (request.schemasAccept() && status !== undefined && !refusedBefore.includes(status)) count.reachedHandler++;
      sentTo.set(request.route, count);
    });
    return judgeExchange(delivery.requests, result, { cut: delivery.kind === 'cut' }, (value) => idsIn(value, remember));
  }

  /** Delivers `sent` to a server with its stub node, and returns what is wrong: the answers, an exit, an error line. */
  async function deliverAndJudge(sent: Delivery): Promise<string[]> {
    await ensureStubNode();
    const findings = await deliver(sent);
    const exit = server.exited();
    if (exit) findings.push(`the server exited (${exit.code ?? exit.signal}): ${server.output().slice(-2_000)}`);
    findings.push(...server.errorLines());
    return findings;
  }

  it('answers every request to every route of the table with a success, a 4xx with the error body, or a closed connection', async (t) => {
    t.diagnostic(describeFuzz(settings));
    const apiRequest = fc.oneof(...routes.map((route) => routeRequests(context, route)));
    const anyRequest = fc.oneof({ weight: routes.length, arbitrary: apiRequest }, { weight: 1, arbitrary: upgradeRequests(context) }, { weight: 1, arbitrary: unroutedRequests(context) });
    const delivery: fc.Arbitrary<Delivery> = fc.oneof(
      { weight: 6, arbitrary: anyRequest.map((request): Delivery => ({ kind: 'single', requests: [request] })) },
      { weight: 2, arbitrary: fc.array(apiRequest, { minLength: 2, maxLength: 4 }).map((requests): Delivery => ({ kind: 'pipelined', requests })) },
      { weight: 1, arbitrary: fc.tuple(anyRequest, fc.nat()).map(([request, cut]): Delivery => ({ kind: 'cut', requests: [request], cutAt: 1 + (cut % (request.bytes.length - 1)) })) },
    );
    let runs = 0;
    await checkFuzz(
      fc.asyncProperty(delivery, async (sent) => {
        // Once it died every value fails; the first failure the report lists is the one that killed it.
        const died = server.exited();
        assert.equal(died, null, `the server exited (${died?.code ?? died?.signal}): ${server.output().slice(-3_000)}`);
        const findings = await deliverAndJudge(sent);
        // Now and then the whole store, while its rows are still there: the fuzz deletes too.
        if (++runs % 20 === 0) findings.push(...checkStore());
        assert.deepEqual(findings, [], findings.join('\n'));
      }),
      settings,
      // Lists every failing value met while shrinking, the first (original) one included.
      { verbose: 1 },
    );
    // A route the random runs gave only requests refused before its handler (with 500 runs, about
    // 12 requests a route, a few seeds in a hundred leave one so) gets more of its own, judged the same way, until one reaches it.
    let topUps = 0;
    for (const route of routes) {
      const key = `${route.method} ${route.pattern}`;
      for (let round = 0; !sentTo.get(key)?.reachedHandler && round < 10; round++) {
        for (const request of fc.sample(routeRequests(context, route), { seed: (settings.seed + round) | 0, numRuns: 20 })) {
          const findings = await deliverAndJudge({ kind: 'single', requests: [request] });
          assert.deepEqual(findings, [], `${key}, a request of its own after the random runs: ${findings.join('\n')}`);
          topUps++;
          if (sentTo.get(key)?.reachedHandler) break;
        }
      }
    }
    t.diagnostic(`${requestsSent} requests sent (${topUps} of them to routes the random runs had not reached); ${stubAgents.length} stub nodes used; ${harvested.length} ids known at the end`);
    for (const [route, count] of sentTo) t.diagnostic(`${route}: ${count.sent} sent, ${count.reachedHandler} reached the handler, statuses ${JSON.stringify(count.statuses)}`);
    if (settings.mode === 'long') assert.ok(requestsSent >= 10_000, `only ${requestsSent} requests in the long mode`);
  });

  it('reached the handler of every route of the table, so a route added later is fuzzed too', () => {
    const missed = routes.map((route) => `${route.method} ${route.pattern}`).filter((route) => !sentTo.get(route)?.reachedHandler);
    assert.deepEqual(missed, [], `routes no valid request reached: ${missed.join(', ')}; per route: ${JSON.stringify(Object.fromEntries(sentTo))}`);
  });

  it('still answers afterwards, with both agents connected', async () => {
    // The last run may have cut the stub off (revoked its node, replaced its token): a new one must get in.
    await ensureStubNode();
    const { status, body } = await call(server, 'GET', '/api/nodes');
    assert.equal(status, 200);
    const online = new Set(body.nodes.filter((node: { status: string }) => node.status === 'online').map((node: { id: string }) => node.id));
    assert.ok(online.has(realNodeId) && online.has(stubNodeId), JSON.stringify([...online]));
  });

  it('sends a JSON body to every route, and none reads it without declaring a body schema', async () => {
    // Every kind of id the server holds, so that each handler gets past its lookups; deletions last.
    const first = async (path: string, key: string) => ((await call(server, 'GET', path)).body?.[key]?.[0]?.id as string | undefined) ?? 'none';
    const ids = [stubNodeId, await first('/api/containers', 'containers'), await first('/api/migrations', 'migrations'), await first('/api/clusters', 'clusters')];
    const ordered = [...routes].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const route of ordered) {
      for (const id of route.params.length > 0 ? ids : ['']) {
        // Raw, since fetch sends no body with a GET.
        const headers: [string, string][] = [
          ['Authorization', `Bearer ${server.adminToken}`],
          ['Content-Type', 'application/json'],
        ];
        const bytes = renderRequest({ method: route.method, target: route.pattern.replace(/:[^/]+/g, id), headers, body: Buffer.from('{}'), framing: 'length', breakage: null });
        const { responses } = await exchange({ port: server.port, payload: bytes, methods: [route.method] });
        assert.notEqual(responses[0]?.status, 500, `${route.method} ${route.pattern} (${id}): ${responses[0]?.body.toString()}`);
      }
    }
    assert.deepEqual(server.errorLines(), []);
  });

  it("kept the real agent's node online throughout, never suspect", () => {
    health?.stop();
    const offline = server.output().split('\n').filter((line) => line.includes('agent offline') && line.includes(realNodeId));
    assert.deepEqual([...(health?.trouble ?? []), ...offline], [], "the real agent's node was not online");
  });

  it('stored nothing malformed: every row passes the schemas of the API that wrote it', async (t) => {
    assert.deepEqual(checkStore(), []);
    t.diagnostic(`most rows seen while fuzzing: ${JSON.stringify(rowsSeen)}`);
    // The fuzz must have written something, or this proves nothing.
    assert.ok(rowsSeen['nodes']! > 2 && rowsSeen['clusters']! > 0, JSON.stringify(rowsSeen));
    database.close();
    assert.equal(await server.stop(), 0, server.output().slice(-2_000));
  });
});
