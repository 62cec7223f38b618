import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { isDeepStrictEqual } from 'node:util';
import { AgentError, CloseCode, contractJsonSchema } from '@lormas/protocol';
import type { AgentViolationEvent } from '@lormas/protocol/server';
import { startTestHub } from '@lormas/protocol/testing';
import { arbitraryFromJsonSchema, checkFuzz, describeFuzz, fuzzSettings, type JsonSchema, waitFor } from '@lormas/testkit';
import fc from 'fast-check';
import { DATABASE_FILE } from '../src/store/Store.js';
import { releaseKey, signBuild } from './support/agentBuilds.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { closeProblems } from './support/closeProblems.js';
import { type AnswerKind, ContractAnswers, COVERED_KINDS, FAKE_AGENT_ERROR_MARKER, type Temper } from './support/contractAnswers.js';
import { type FakeNode, type FleetAction, FleetActions, FUZZ_RELEASE_VERSION, fleetActions } from './support/FleetActions.js';
import { FuzzAgent, type RequestRecord } from './support/FuzzAgent.js';
import { call, registerNode } from './support/http.js';
import { type ServerProcess, startServerProcess } from './support/serverProcess.js';
import { type NodeHealthWatch, watchNodeHealth } from './support/watchNodeHealth.js';
import { openSse } from './support/sse.js';
import { storeProblems } from './support/storeProblems.js';
import { unsolicitedFrames } from './support/unsolicitedFrames.js';
import { liveEventProblems, viewProblems } from './support/viewProblems.js';

/**
 * Each run drives one to three API actions (create, start, stop, restart, remove, pull,
 * logs, migrate, a reconnect) while the fake agents answer every request the server makes
 * with what the run's seed says, and sends up to three unsolicited frames. The long mode
 * sends at least 10,000 frames (it checks); the quick one keeps `pnpm test` fast.
 */
const settings = fuzzSettings({ quick: 30, long: 400 });

/** The hub's documented defaults, which the server process keeps. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const MAX_INVALID_ITEMS = 20;
const INVALID_ITEM_WINDOW_MS = 60_000;

/** Heartbeat silence after which the server calls a node suspect: 10 of the real agent's beats. */
const SUSPECT_AFTER_MS = 2_000;

/** Huge values around the contract's bounds (a name of 1 KiB, a log line of 1 MiB) and far past them. */
const ENCODING = { hugeLengths: [10_000, 300_000, 1_500_000], nestingDepths: [64, 10_000, 200_000] };

/**
 * Procedures of the contract that this server never calls: no flow of the mock server needs
 * them. The fuzzer checks that the server indeed never asks them (a server that starts to
 * must have them fuzzed here too); the hub's own fuzz test covers them.
 */
const NOT_ASKED_BY_THE_MOCK_SERVER = new Set(['containers.list', 'containers.inspect', 'operations.get']);

/** How often a run also reads the whole store, every view and the live events back. */
const DEEP_CHECK_EVERY_RUNS = 10;

describe('agent frame fuzzing (issue 12): nothing an agent sends ends the mock server or reaches its store unchecked', () => {
  let server: ServerProcess;
  let dataDir: string;
  let database: Database.Database;
  let realAgent: AgentProcess;
  let realNodeId: string;
  const fakeNodes: FakeNode[] = [];
  let fleet: FleetActions;
  let events: Awaited<ReturnType<typeof openSse>>;
  let eventsRead = 0;
  /** The server's judgement of the real agent's node whenever it was not plainly online. */
  let health: NodeHealthWatch | undefined;
  const known: string[] = [];
  const remember = (id: string) => {
    if (known.includes(id)) return;
    known.push(id);
    if (known.length > 200) known.shift();
  };
  const answers = new ContractAnswers({ ...ENCODING, known: () => known });
  /** What the fake agents answer with now: the run's seed and temper, and kinds forced per procedure by the coverage sweep. */
  const policy = { seed: 0, temper: 'wild' as Temper, count: 0, forced: new Map<string, AnswerKind>() };
  /** The kinds of answer each procedure got, by path. */
  const answered = new Map<string, Set<AnswerKind>>();
  let errorLinesSeen = 0;
  const counts = { runs: 0, actions: 0, unsolicited: 0 };

  const agents = () => fakeNodes.map((node) => node.agent);

  function answer(record: RequestRecord, connecting: boolean) {
    const forced = policy.forced.get(record.path);
    if (forced) policy.forced.delete(record.path);
    // A seed per request of the run, in the order the requests come.
    const seed = (policy.seed + Math.imul(++policy.count, 0x9e3779b1)) | 0;
    // Three in four requests of a connecting node (hello, inventory, its streams) answered
    // calmly: a node that never gets connected is fuzzed no further.
    const temper = connecting && (seed & 3) !== 0 ? 'calm' : policy.temper;
    const given = answers.answer(record, seed, temper, forced);
    (answered.get(record.path) ?? answered.set(record.path, new Set()).get(record.path)!).add(given.kind);
    return given;
  }

  /** Error lines of the server but those quoting an agent's own INTERNAL error (the API answers those with a 500 and logs them). */
  function newErrorLines(): string[] {
    const lines = server.errorLines();
    const fresh = lines.slice(errorLinesSeen);
    errorLinesSeen = lines.length;
    return fresh.filter((line) => !(line.includes('request failed') && line.includes(FAKE_AGENT_ERROR_MARKER)));
  }

  /** Waits until the agents sent every answer and the server closed every socket it owed a close; returns what it failed to close. */
  async function settle(): Promise<string[]> {
    await waitFor(() => agents().every((agent) => agent.busy() === 0), { timeoutMs: 10_000, what: 'the fake agents to send their answers' });
    const findings: string[] = [];
    for (const node of fakeNodes) {
      const owed = node.agent.owedClose();
      if (!owed) continue;
      try {
        await waitFor(() => node.agent.owedClose()?.connection !== owed.connection, { timeoutMs: 5_000, what: 'the close' });
      } catch {
        findings.push(`node ${node.id}: the agent sent ${owed.why}; the server must close with ${owed.codes.join(' or ')}, yet the socket stayed open`);
        node.agent.drop();
      }
    }
    return findings;
  }

  /** Closes of fake agents' sockets since `from`, judged against what each agent had sent. */
  function closeFindings(from: number[]): string[] {
    return fakeNodes.flatMap((node, index) => closeProblems(node.id, node.agent.closes.slice(from[index])));
  }

  async function deepCheck(): Promise<string[]> {
    const findings = [...storeProblems(database), ...(await viewProblems(server))];
    for (const event of events.events.slice(eventsRead)) findings.push(...liveEventProblems(event.event, event.data));
    eventsRead = events.events.length;
    return findings;
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lormas-agent-fuzz-'));
    // A signed build to roll out, so that the server asks the fake agents for `agent.upgrade`.
    const releases = join(dataDir, 'releases');
    const build = join(dataDir, 'fuzz-build.js');
    writeFileSync(build, 'process.exit(0);\n');
    await signBuild((await releaseKey(join(dataDir, 'keys'))).file, build, releases, ['--version', FUZZ_RELEASE_VERSION]);
    server = await startServerProcess({ DATA_DIR: dataDir, RELEASES_DIR: releases, LOST_AFTER_MS: '6000', SUSPECT_AFTER_MS: String(SUSPECT_AFTER_MS), LOG_LEVEL: 'info' });
    database = new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
    const wsUrl = server.url.replace(/^http/, 'ws');
    const real = await registerNode(server, 'fuzz-real-agent');
    realNodeId = real.id;
    // The real agent's engine is unreachable on purpose: a node whose engine is down is never a
    // placement or migration target, so nothing the fuzz does makes it touch the shared engine.
    realAgent = startAgentProcess({ serverUrl: wsUrl, token: real.token, nodeName: 'fuzz-real-agent', dockerSocket: '/nonexistent/lormas-agent-fuzz-docker.sock' });
    for (const name of ['fuzz-fake-agent-a', 'fuzz-fake-agent-b']) {
      const node = await registerNode(server, name);
      const agent = new FuzzAgent({
        url: wsUrl,
        token: node.token,
        nodeName: name,
        procedures: answers.procedures,
        answer,
        maxPayloadBytes: MAX_PAYLOAD_BYTES,
        maxInvalidItems: MAX_INVALID_ITEMS,
        invalidItemWindowMs: INVALID_ITEM_WINDOW_MS,
        redialWithoutHeartbeats: true,
      });
      fakeNodes.push({ id: node.id, agent });
      remember(node.id);
    }
    // Calm answers until everyone is online: the fuzz starts from a working fleet.
    policy.temper = 'calm';
    for (const agent of agents()) agent.start();
    await waitFor(
      async () => {
        const { body } = await call(server, 'GET', '/api/nodes');
        const online = (body?.nodes ?? []).filter((node: { status: string; health: string; lastHeartbeatAt: string | null }) => node.status === 'online' && node.health === 'online' && node.lastHeartbeatAt);
        return online.length === 3;
      },
      // Start-up only, no timing judged: on a machine busy with other work the real agent took over 30 s from its sources.
      { timeoutMs: 90_000, what: () => `the real agent and both fake agents online (the real agent said: ${realAgent.output().slice(-500)})` },
    );
    fleet = new FleetActions(server, fakeNodes, remember);
    events = await openSse(`${server.url}/api/events`, { authorization: `Bearer ${server.adminToken}` });
    health = watchNodeHealth(server, realNodeId);
  });

  after(async () => {
    health?.stop();
    events?.close();
    for (const agent of agents()) agent.stop();
    database?.close();
    await realAgent?.stop();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Performs actions, in order or all at once, and returns what was wrong with the answers. */
  async function act(actions: FleetAction[], together: boolean): Promise<string[]> {
    // Acting on a node whose agent is between two sockets only tests the 503: wait for it a moment.
    await waitFor(() => agents().every((agent) => agent.isReady()), { timeoutMs: 2_000, what: 'the fake agents to be connected' }).catch(() => {});
    await fleet.refresh();
    counts.actions += actions.length;
    if (together) return (await Promise.all(actions.map((action) => fleet.perform(action, false)))).flat();
    const findings: string[] = [];
    for (const action of actions) findings.push(...(await fleet.perform(action, true)));
    return findings;
  }

  /**
   * Drops every fake agent while a rollout runs, until none does: a rollout waits for its node
   * to come back after a handover, and a node that dials again has come back, which ends it.
   */
  async function endRollouts(): Promise<void> {
    const running = async () => ((await call(server, 'GET', '/api/agents/rollouts')).body as { rollouts: { status: string }[] }).rollouts.some((r) => r.status === 'running');
    await waitFor(
      async () => {
        if (!(await running())) return true;
        agents().forEach((agent) => agent.drop());
        await delay(300);
        return false;
      },
      { timeoutMs: 20_000, what: 'no rollout running' },
    );
  }

  /**
   * `agent.upgrade` is asked only by a rollout, one rollout runs at a time, and it waits for its
   * node to come back: tours reached each kind of answer by chance (one run in eight used all
   * 40). Here each kind it lacks is forced on one rollout at a time, each driven to its end by
   * the node's return. A node whose `hello` took no remote upgrades (one in ten) is skipped by
   * the rollout and asked nothing; it dials again and says hello anew for the next one.
   */
  async function coverUpgrades(findings: string[]): Promise<number> {
    const lacking = () => COVERED_KINDS.filter((kind) => !answered.get('agent.upgrade')?.has(kind));
    const deadline = Date.now() + 30_000;
    let rollouts = 0;
    while (lacking().length > 0 && Date.now() < deadline) {
      await endRollouts();
      const node = rollouts++ % fakeNodes.length;
      policy.forced.clear();
      policy.forced.set('agent.upgrade', lacking()[0]!);
      findings.push(...(await act([{ kind: 'rollout', node }], false)), ...(await settle()));
      fakeNodes[node]!.agent.drop();
    }
    policy.forced.clear();
    await endRollouts();
    return rollouts;
  }

  it('answers the API, closes only the sockets that broke the protocol, and keeps no invalid value, whatever the agents send', async (t) => {
    t.diagnostic(describeFuzz(settings));
    const unsolicited = unsolicitedFrames({ ...ENCODING, maxPayloadBytes: MAX_PAYLOAD_BYTES });
    const run = fc.record({
      seed: fc.integer(),
      temper: fc.constantFrom<Temper>('wild', 'wild', 'calm'),
      actions: fc.array(fleetActions, { minLength: 1, maxLength: 3 }),
      together: fc.boolean(),
      unsolicited: fc.array(fc.record({ node: fc.constantFrom(0, 1), part: unsolicited, delayMs: fc.integer({ min: 0, max: 300 }) }), { maxLength: 4 }),
    });
    await checkFuzz(
      fc.asyncProperty(run, async ({ seed, temper, actions, together, unsolicited: frames }) => {
        // Once it died every value fails; the first failure the report lists is the one that killed it.
        const died = server.exited();
        assert.equal(died, null, `the server exited (${died?.code ?? died?.signal}): ${server.output().slice(-3_000)}`);
        Object.assign(policy, { seed, temper, count: 0 });
        const closesBefore = agents().map((agent) => agent.closes.length);
        // Sent while the actions run, each after its delay: the server is busy with the agent's answers meanwhile.
        const sending = Promise.all(frames.map(({ node, part, delayMs }) => delay(delayMs).then(() => fakeNodes[node]!.agent.sendUnsolicited(part))));
        counts.unsolicited += frames.length;
        const findings = await act(actions, together);
        await sending;
        findings.push(...(await settle()), ...closeFindings(closesBefore));
        if (++counts.runs % DEEP_CHECK_EVERY_RUNS === 0) findings.push(...(await deepCheck()));
        const exit = server.exited();
        if (exit) findings.push(`the server exited (${exit.code ?? exit.signal}): ${server.output().slice(-2_000)}`);
        findings.push(...newErrorLines());
        assert.deepEqual(findings, [], findings.join('\n'));
      }),
      settings,
      // A counterexample cannot be shrunk against a server whose state every run changes: report the first.
      { endOnFailure: true },
    );
    const frames = agents().reduce((sum, agent) => sum + agent.sent.fuzzFrames, 0);
    const heartbeats = agents().reduce((sum, agent) => sum + agent.sent.heartbeats, 0);
    const sockets = agents().reduce((sum, agent) => sum + agent.sent.connections, 0);
    t.diagnostic(`${counts.runs} runs, ${counts.actions} API actions, ${frames} fuzzed frames (${counts.unsolicited} unsolicited) and ${heartbeats} valid heartbeats over ${sockets} sockets`);
    if (settings.mode === 'long') assert.ok(frames >= 10_000, `only ${frames} frames in the long mode`);
  });

  it('asked every procedure of the contract that the server calls, and answered each with valid values, mutations, broken encodings and errors', async (t) => {
    const missing = () =>
      [...answers.procedures.keys()]
        .filter((path) => !NOT_ASKED_BY_THE_MOCK_SERVER.has(path))
        .flatMap((path) => COVERED_KINDS.filter((kind) => !answered.get(path)?.has(kind)).map((kind) => ({ path, kind })));
    // What the random runs left out, each procedure is made to get: calm answers but for the
    // next request of each procedure still lacking a kind, which gets that kind.
    const tour: FleetAction[] = [
      { kind: 'reconnect', node: 0 },
      { kind: 'reconnect', node: 1 },
      { kind: 'create', node: 0, volume: true, ha: true, start: true, progress: true },
      { kind: 'create', node: 1, volume: true, ha: false, start: false, progress: false },
      { kind: 'lifecycle', action: 'stop', pick: 0 },
      { kind: 'lifecycle', action: 'start', pick: 1 },
      { kind: 'lifecycle', action: 'restart', pick: 2 },
      { kind: 'pull', node: 0, progress: true },
      { kind: 'logs', pick: 0, follow: false },
      { kind: 'migrate', pick: 0, chooseTarget: false },
      { kind: 'migrate', pick: 1, chooseTarget: true },
      { kind: 'remove', pick: 3 },
      { kind: 'rollout', node: 0 },
      { kind: 'rollout', node: 1 },
    ];
    Object.assign(policy, { seed: settings.seed, temper: 'calm', count: 0 });
    const findings: string[] = [];
    const closesBefore = agents().map((agent) => agent.closes.length);
    t.diagnostic(`${await coverUpgrades(findings)} rollouts to answer agent.upgrade with every kind`);
    const upgradeLacks = COVERED_KINDS.filter((kind) => !answered.get('agent.upgrade')?.has(kind));
    assert.deepEqual(upgradeLacks, [], `agent.upgrade never answered so, with a rollout of its own for each: ${upgradeLacks.join(', ')}`);
    /** The procedures each action of the tour has made the server ask: an action that asks none still missing is left out. */
    const provoked = new Map<FleetAction, Set<string>>();
    const deadline = Date.now() + 60_000;
    let tours = 0;
    while (missing().length > 0 && Date.now() < deadline && tours < 40) {
      tours++;
      for (const action of tour) {
        const lacking = new Set(missing().map(({ path }) => path));
        // Creates stay, since later actions act on what they made, and so do migrations, whose
        // later calls (the volume's copy) are asked only once their earlier ones succeed.
        const chained = action.kind === 'create' || action.kind === 'migrate';
        const asks = provoked.get(action);
        if (!chained && asks?.size && ![...asks].some((path) => lacking.has(path))) continue;
        policy.forced.clear();
        for (const { path, kind } of missing()) if (!policy.forced.has(path)) policy.forced.set(path, kind);
        const before = agents().map((agent) => ({ request: agent.lastRequest(), socket: agent.sent.connections }));
        findings.push(...(await act([action], false)), ...(await settle()));
        const asked = provoked.get(action) ?? provoked.set(action, new Set()).get(action)!;
        // A socket dialled meanwhile (after a close the previous action provoked, or a heartbeat
        // stream that ended) says hello, sends its inventory and opens its streams whatever the
        // action: counted as the action's, that handshake left a lifecycle action that met its
        // node between two sockets (a 503, nothing asked) with asks none of which ever lacks,
        // skipped for every later tour. Only a reconnect's handshake is its own doing.
        const ownsHandshake = action.kind === 'reconnect';
        agents().forEach((agent, index) =>
          agent
            .requestsAfter(before[index]!.request)
            .filter((request) => ownsHandshake || request.connection <= before[index]!.socket)
            .forEach((request) => asked.add(request.path)),
        );
      }
    }
    policy.forced.clear();
    findings.push(...closeFindings(closesBefore), ...newErrorLines());
    t.diagnostic(`${tours} tours of the API after the random runs`);
    assert.deepEqual(findings, [], findings.join('\n'));
    const left = missing();
    assert.deepEqual(left, [], `never answered so: ${left.map(({ path, kind }) => `${path} (${kind})`).join(', ')}`);
    const unexpected = [...answered.keys()].filter((path) => NOT_ASKED_BY_THE_MOCK_SERVER.has(path));
    assert.deepEqual(unexpected, [], 'the server now asks these; take them off NOT_ASKED_BY_THE_MOCK_SERVER so that they are fuzzed');
    const unknown = [...answered.keys()].filter((path) => !answers.procedures.has(path));
    assert.deepEqual(unknown, [], 'the server asked procedures the contract lacks');
  });

  it('logged every protocol violation once, naming the fake node, and never the real one', () => {
    const lines = server.output().split('\n').filter((line) => line.includes('agent broke the protocol'));
    for (const node of fakeNodes) {
      const logged = lines.filter((line) => line.includes(`node=${node.id}`)).length;
      const closed = node.agent.closes.filter((close) => close.code === CloseCode.ProtocolViolation).length;
      // A socket that closed otherwise (the agent dropped it, or the server refused its hello) after the agent broke the protocol may or may not have been read that far.
      const maybe = node.agent.closes.filter((close) => close.code !== CloseCode.ProtocolViolation && (close.expected?.codes.includes(CloseCode.ProtocolViolation) || close.excuse)).length;
      assert.ok(logged >= closed && logged <= closed + maybe, `node ${node.id}: ${closed} sockets closed with 4422 (and ${maybe} otherwise after a violation), ${logged} violation lines`);
    }
    assert.deepEqual(lines.filter((line) => !fakeNodes.some((node) => line.includes(`node=${node.id}`))), [], 'violation lines that name no fake node');
    assert.ok(lines.length > 0, 'the fuzz broke the protocol at least once, or this proves nothing');
  });

  it("kept the real agent's node online throughout, never suspect", () => {
    health?.stop();
    const offline = server.output().split('\n').filter((line) => line.includes('agent offline') && line.includes(realNodeId));
    assert.deepEqual([...(health?.trouble ?? []), ...offline], [], "the real agent's node was not online");
  });

  it('still answers afterwards, stored nothing malformed, showed nothing malformed, and exits cleanly', async (t) => {
    const { status } = await call(server, 'GET', '/api/nodes');
    assert.equal(status, 200);
    assert.deepEqual(await deepCheck(), []);
    const { n } = database.prepare('SELECT COUNT(*) AS n FROM containers').get() as { n: number };
    const { m } = database.prepare('SELECT COUNT(*) AS m FROM migrations').get() as { m: number };
    t.diagnostic(`the store holds ${n} containers and ${m} migrations; ${events.events.length} live events read`);
    // The fuzz must have written something, or this proves nothing.
    assert.ok(m > 0, 'no migration was recorded');
    assert.deepEqual(newErrorLines(), []);
    database.close();
    assert.equal(await server.stop(), 0, server.output().slice(-2_000));
  });
});

/**
 * The procedures the mock server never calls, and the exact rules the process-level fuzz can
 * only check where one API call makes one agent call, are fuzzed here against the hub alone:
 * the test calls every procedure of the contract through the hub's client, a fake agent
 * answers, and what the client hands out must be exactly what the agent's own reckoning says.
 */
describe('agent frame fuzzing through the hub (issue 12): every procedure of the contract, held to the exact rules', () => {
  const NODE = 'hub-fuzz';
  const hubSettings = fuzzSettings({ quick: 150, long: 2_500 });
  let fixture: Awaited<ReturnType<typeof startTestHub>>;
  let agent: FuzzAgent;
  const answers = new ContractAnswers({ ...ENCODING, known: () => [] });
  const policy = { seed: 0, temper: 'wild' as Temper, count: 0, forced: undefined as AnswerKind | undefined };
  const violations: AgentViolationEvent[] = [];
  const callbackErrors: unknown[] = [];
  const root = contractJsonSchema() as { procedures: Record<string, { input?: object }> };
  const inputs = new Map(Object.entries(root.procedures).map(([path, entry]) => [path, entry.input ? arbitraryFromJsonSchema({ ...root, ...entry.input } as JsonSchema) : fc.constant(undefined)]));
  const paths = [...answers.procedures.keys()];
  let closesSeen = 0;
  const counts = { calls: 0, streams: 0, items: 0 };

  before(async () => {
    fixture = await startTestHub({
      callTimeoutMs: 5_000,
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
      maxInvalidItems: MAX_INVALID_ITEMS,
      invalidItemWindowMs: INVALID_ITEM_WINDOW_MS,
      onViolation: (event) => violations.push(event),
      onCallbackError: (error) => callbackErrors.push(error),
    });
    agent = new FuzzAgent({
      url: `${fixture.url}?node=${NODE}`,
      nodeName: NODE,
      procedures: answers.procedures,
      answer: (record) => answers.answer(record, (policy.seed + Math.imul(++policy.count, 0x9e3779b1)) | 0, policy.temper, record.path === 'hello' ? 'valid' : policy.forced),
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
      maxInvalidItems: MAX_INVALID_ITEMS,
      invalidItemWindowMs: INVALID_ITEM_WINDOW_MS,
    });
    agent.start();
  });

  after(async () => {
    agent?.stop();
    await fixture?.close();
  });

  /**
   * Calls `path` through the hub's client (subscribes, for a stream) while the agent answers
   * as `temper` and `forced` say, and returns what the client handed out that the agent's
   * reckoning forbids.
   */
  async function exercise(path: string, seed: number, temper: Temper, forced: AnswerKind | undefined): Promise<string[]> {
    await waitFor(() => agent.isReady() && fixture.hub.isConnected(NODE), { timeoutMs: 5_000, what: 'the fake agent connected to the hub' });
    Object.assign(policy, { seed, temper, count: 0, forced });
    const procedure = answers.procedures.get(path)!;
    const [input] = fc.sample(inputs.get(path)!, { seed, numRuns: 1 });
    const target = path.split('.').reduce<any>((node, key) => node[key], fixture.hub.client(NODE));
    const before = agent.lastRequest();
    const asked = () => agent.requestsAfter(before).find((request) => request.path === path);
    const problems: string[] = [];
    const where = `${path} (${forced ?? temper})`;
    if (procedure.kind !== 'subscription') {
      counts.calls++;
      const settled = (procedure.kind === 'query' ? target.query(input) : target.mutate(input)).then(
        (value: unknown) => ({ value }),
        (error: unknown) => ({ error }),
      ) as Promise<{ value: unknown } | { error: unknown }>;
      const result = await settled;
      // A call that the socket's close failed before the agent read it was not answered by it.
      const outcome = asked()?.outcome;
      if ('value' in result) {
        if (!procedure.schema.safeParse(result.value).success) problems.push(`${where}: the client handed out a value the contract refuses`);
        if (outcome && (outcome.kind !== 'accepted' || !isDeepStrictEqual(result.value, outcome.value))) problems.push(`${where}: resolved with ${JSON.stringify(result.value)?.slice(0, 200)}, though the agent's answer was ${JSON.stringify(outcome).slice(0, 200)}`);
        return problems;
      }
      if (!(result.error instanceof AgentError)) return [`${where}: failed with something other than an AgentError: ${String(result.error)}`];
      const code = result.error.code;
      const expected = outcome?.kind === 'refused' ? 'BAD_AGENT_OUTPUT' : outcome?.kind === 'violation' ? 'AGENT_UNAVAILABLE' : null;
      if (outcome?.kind === 'accepted') problems.push(`${where}: failed with ${code} (${result.error.message}), though the agent's answer was valid`);
      else if (expected && code !== expected) problems.push(`${where}: failed with ${code}, though the agent's answer must fail it with ${expected}`);
      return problems;
    }
    counts.streams++;
    const delivered: unknown[] = [];
    let ended = false;
    const subscription = target.subscribe(input, { onData: (item: unknown) => delivered.push(item), onError: () => (ended = true), onComplete: () => (ended = true) });
    // The stream reaches the agent, or fails with the socket it was sent on.
    const found = await waitFor(() => asked() ?? (ended || !agent.isReady() ? 'gone' : undefined), { timeoutMs: 5_000, what: `the hub to ask ${path}` });
    const request = found === 'gone' ? undefined : found;
    await waitFor(() => agent.busy() === 0, { timeoutMs: 5_000, what: 'the agent to send its answer' });
    const read = request ? await agent.barrier(request.connection) : false;
    subscription.unsubscribe();
    counts.items += delivered.length;
    for (const item of delivered) {
      const value = procedure.tracked ? (item as { data?: unknown })?.data : item;
      if (!procedure.schema.safeParse(value).success) problems.push(`${where}: the client handed out an item the contract refuses: ${JSON.stringify(item)?.slice(0, 200)}`);
    }
    if (read && request?.items && !isDeepStrictEqual(delivered, request.items)) {
      problems.push(`${where}: delivered ${delivered.length} items, though the agent sent ${request.items.length} valid ones: ${JSON.stringify(delivered).slice(0, 300)} vs ${JSON.stringify(request.items).slice(0, 300)}`);
    }
    return problems;
  }

  /** Closes since the last look, judged as in the process-level fuzz; and callback errors, which must never happen. */
  async function afterwards(): Promise<string[]> {
    const owed = agent.owedClose();
    if (owed) await waitFor(() => agent.owedClose()?.connection !== owed.connection, { timeoutMs: 5_000, what: 'the close' }).catch(() => {});
    const problems = closeProblems(NODE, agent.closes.slice(closesSeen));
    if (agent.owedClose()?.connection === owed?.connection && owed) problems.push(`the agent sent ${owed.why}; the hub must close with ${owed.codes.join(' or ')}, yet the socket stayed open`);
    closesSeen = agent.closes.length;
    return [...problems, ...callbackErrors.splice(0).map((error) => `a callback threw: ${String(error)}`)];
  }

  it('hands out exactly what the contract allows of each kind of answer to every procedure', async () => {
    const problems: string[] = [];
    for (const path of paths) {
      for (const kind of COVERED_KINDS) problems.push(...(await exercise(path, hubSettings.seed, 'calm', kind)), ...(await afterwards()));
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('hands out exactly what the contract allows, whatever the agent answers and sends besides', async (t) => {
    t.diagnostic(describeFuzz(hubSettings));
    const unsolicited = unsolicitedFrames({ ...ENCODING, maxPayloadBytes: MAX_PAYLOAD_BYTES });
    const run = fc.record({ path: fc.constantFrom(...paths), seed: fc.integer(), temper: fc.constantFrom<Temper>('wild', 'wild', 'calm'), frame: fc.option(unsolicited, { freq: 3 }) });
    await checkFuzz(
      fc.asyncProperty(run, async ({ path, seed, temper, frame }) => {
        if (frame) agent.sendUnsolicited(frame);
        const problems = [...(await exercise(path, seed, temper, undefined)), ...(await afterwards())];
        assert.deepEqual(problems, [], problems.join('\n'));
      }),
      hubSettings,
      { endOnFailure: true },
    );
    t.diagnostic(`${counts.calls} calls and ${counts.streams} streams (${counts.items} items delivered), ${agent.sent.fuzzFrames} fuzzed frames over ${agent.sent.connections} sockets, ${violations.length} violations`);
    if (hubSettings.mode === 'long') assert.ok(agent.sent.fuzzFrames >= 10_000, `only ${agent.sent.fuzzFrames} frames in the long mode`);
  });
});
