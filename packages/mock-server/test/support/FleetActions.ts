import { TEST_IMAGE } from '@lormas/testkit';
import fc from 'fast-check';
import { idsIn } from './judgeExchange.js';
import { type AnswerShape, apiAnswerProblems } from './apiAnswerProblems.js';
import type { FuzzAgent, RequestRecord } from './FuzzAgent.js';
import { type TimedAnswer, timedCall } from './timedCall.js';

/** A fake node of the fleet: its id and the agent that speaks for it. */
export interface FakeNode {
  id: string;
  agent: FuzzAgent;
}

/** What the API is asked, so that the server asks agents for every procedure it calls. */
export type FleetAction =
  | { kind: 'create'; node: number | 'placed'; volume: boolean; ha: boolean; start: boolean; progress: boolean }
  | { kind: 'lifecycle'; action: 'start' | 'stop' | 'restart'; pick: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'pull'; node: number; progress: boolean }
  | { kind: 'logs'; pick: number; follow: boolean }
  | { kind: 'migrate'; pick: number; chooseTarget: boolean }
  | { kind: 'reconnect'; node: number };

export const fleetActions: fc.Arbitrary<FleetAction> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), node: fc.constantFrom(0, 1, 'placed' as const), volume: fc.boolean(), ha: fc.boolean(), start: fc.boolean(), progress: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('lifecycle' as const), action: fc.constantFrom('start' as const, 'stop' as const, 'restart' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pull' as const), node: fc.constantFrom(0, 1), progress: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('logs' as const), pick: fc.nat(), follow: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('migrate' as const), pick: fc.nat(), chooseTarget: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), node: fc.constantFrom(0, 1) }) },
);

interface ContainerRef {
  id: string;
  name: string;
  nodeId: string;
  dockerId: string | null;
}

const NDJSON = 'application/x-ndjson';

/**
 * Carries out fleet actions through the HTTP API against fake nodes and judges the answers.
 * Where one API call makes exactly one agent call, the agent's own reckoning of its answer
 * decides what the API must say: a result the contract allows comes back as sent, one it
 * refuses is a 502 `BAD_AGENT_OUTPUT` and changes nothing, a frame that breaks the
 * protocol fails the call as `AGENT_UNAVAILABLE`.
 */
export class FleetActions {
  private containers: ContainerRef[] = [];
  private created = 0;

  constructor(
    private readonly server: { url: string; adminToken: string },
    private readonly nodes: readonly FakeNode[],
    /** Ids and names the API handed out, for the fuzz to use. */
    private readonly remember: (id: string) => void,
  ) {}

  /** Reads the containers the server holds on fake nodes, to act on. */
  async refresh(): Promise<void> {
    const answer = await timedCall(this.server, 'GET', '/api/containers');
    if (answer.status !== 200) return;
    const { containers } = JSON.parse(answer.text) as { containers: ContainerRef[] };
    this.containers = containers.filter((container) => this.nodes.some((node) => node.id === container.nodeId));
    idsIn(containers, this.remember);
  }

  /** Performs `action` and returns what was wrong with the server's answers. */
  async perform(action: FleetAction, alone: boolean): Promise<string[]> {
    switch (action.kind) {
      case 'create':
        return this.create(action, alone);
      case 'lifecycle': {
        const container = this.pick(action.pick);
        if (!container) return [];
        return this.oneCall(`POST /api/containers/:id/${action.action}`, container.nodeId, `containers.${action.action}`, (r) => (r.input as { id?: string })?.id === (container.dockerId ?? container.name), alone, () =>
          timedCall(this.server, 'POST', `/api/containers/${container.id}/${action.action}`, { body: {} }),
        'container',
        (value, body) => body.state === value.state && body.dockerId === value.containerId);
      }
      case 'remove': {
        const container = this.pick(action.pick);
        if (!container) return [];
        return this.judged('DELETE /api/containers/:id', await timedCall(this.server, 'DELETE', `/api/containers/${container.id}`), 'nothing');
      }
      case 'pull': {
        const node = this.nodes[action.node]!;
        const image = `${TEST_IMAGE.split(':')[0]}:fuzz-${++this.created}`;
        const label = `POST /api/nodes/:id/images/pull${action.progress ? ' (progress)' : ''}`;
        if (action.progress) return this.judged(label, await timedCall(this.server, 'POST', `/api/nodes/${node.id}/images/pull`, { body: { image }, accept: NDJSON }), 'pull');
        return this.oneCall(label, node.id, 'images.pull', (r) => (r.input as { image?: string })?.image === image, alone, () => timedCall(this.server, 'POST', `/api/nodes/${node.id}/images/pull`, { body: { image } }), 'pull', (value, body) =>
          body.image === value.image && body.imageId === value.imageId);
      }
      case 'logs': {
        const container = this.pick(action.pick);
        if (!container) return [];
        const answer = await timedCall(this.server, 'GET', `/api/containers/${container.id}/logs?tail=5${action.follow ? '&follow=1' : ''}`, { readMs: action.follow ? 300 : 600 });
        return this.judged(`GET /api/containers/:id/logs${action.follow ? '?follow' : ''}`, answer, 'logs');
      }
      case 'migrate': {
        const container = this.pick(action.pick);
        if (!container) return [];
        const other = this.nodes.find((node) => node.id !== container.nodeId);
        const body = action.chooseTarget || !other ? {} : { targetNodeId: other.id };
        return this.judged('POST /api/containers/:id/migrate', await timedCall(this.server, 'POST', `/api/containers/${container.id}/migrate`, { body, accept: NDJSON, timeoutMs: 20_000 }), 'migration');
      }
      case 'reconnect':
        this.nodes[action.node]!.agent.drop();
        return [];
    }
  }

  /** A container on a fake node, counting from the newest (0), which a sequence of actions has just made. */
  private pick(pick: number): ContainerRef | undefined {
    const { length } = this.containers;
    return length === 0 ? undefined : this.containers[length - 1 - (pick % length)];
  }

  private async create(action: Extract<FleetAction, { kind: 'create' }>, alone: boolean): Promise<string[]> {
    const name = `afz-${++this.created}`;
    const node = action.node === 'placed' ? undefined : this.nodes[action.node]!;
    const spec = { name, image: TEST_IMAGE, ...(action.volume ? { mounts: [{ type: 'volume', source: `afz-vol-${this.created}`, target: '/data' }] } : {}) };
    const body = { ...(node ? { nodeId: node.id } : {}), spec, ha: action.ha, start: action.start };
    const label = `POST /api/containers${action.progress ? ' (progress)' : ''}`;
    if (action.progress || !node) return this.judged(label, await timedCall(this.server, 'POST', '/api/containers', { body, accept: action.progress ? NDJSON : undefined }), 'container');
    const problems = await this.oneCall(label, node.id, 'containers.create', (r) => (r.input as { spec?: { name?: string } })?.spec?.name === name, alone, () => timedCall(this.server, 'POST', '/api/containers', { body }), 'container', (value, body) =>
      body.state === value.state && body.dockerId === value.containerId);
    // A refused create must leave no record behind.
    const kept = await timedCall(this.server, 'GET', `/api/containers/${name}`);
    const settled = node.agent.requests.findLast((r) => r.path === 'containers.create' && (r.input as { spec?: { name?: string } })?.spec?.name === name)?.outcome?.kind;
    if (settled && settled !== 'accepted' && kept.status !== 404) problems.push(`${label}: the agent's answer was ${settled}, yet the server kept a record of ${name}: ${kept.status} ${kept.text.slice(0, 300)}`);
    return problems;
  }

  private judged(label: string, answer: TimedAnswer, shape: AnswerShape): string[] {
    if (answer.status !== null && answer.status < 300 && !answer.cut) {
      try {
        idsIn(JSON.parse(answer.text), this.remember);
      } catch {
        // NDJSON: its lines are judged, not harvested.
      }
    }
    return apiAnswerProblems(label, answer, shape);
  }

  /**
   * An API call that makes one agent call: judged as any answer, and then, when the call
   * was alone (no concurrent action could have made the same agent call) and the agent
   * settled it, against the agent's own reckoning.
   */
  private async oneCall(
    label: string,
    nodeId: string,
    path: string,
    matches: (request: RequestRecord) => boolean,
    alone: boolean,
    send: () => Promise<TimedAnswer>,
    shape: AnswerShape,
    asSent: (value: any, body: any) => boolean,
  ): Promise<string[]> {
    const node = this.nodes.find((candidate) => candidate.id === nodeId);
    const before = node?.agent.lastRequest() ?? 0;
    const answer = await send();
    const problems = this.judged(label, answer, shape);
    const asked = node?.agent.requestsAfter(before).filter((request) => request.path === path && matches(request)) ?? [];
    const outcome = asked.length === 1 ? asked[0]!.outcome : undefined;
    if (!alone || !outcome || answer.status === null || problems.length > 0) return problems;
    const where = `${label}: the agent's answer was ${outcome.kind}, the API answered ${answer.status} ${answer.text.slice(0, 300)}`;
    let body: any = null;
    try {
      body = JSON.parse(answer.text);
    } catch {
      // Judged above.
    }
    switch (outcome.kind) {
      case 'accepted':
        if (answer.status >= 300 || !asSent(outcome.value, body)) problems.push(`${where}: a valid answer must come back as sent`);
        break;
      case 'refused':
        if (answer.status !== 502 || body?.error?.code !== 'BAD_AGENT_OUTPUT') problems.push(`${where}: an answer the contract refuses must be a 502 BAD_AGENT_OUTPUT`);
        break;
      case 'error':
        if (answer.status < 400) problems.push(`${where}: an error must fail the call`);
        break;
      case 'violation':
        if (answer.status !== 503 || body?.error?.code !== 'AGENT_UNAVAILABLE') problems.push(`${where}: a call answered with a protocol violation must fail as AGENT_UNAVAILABLE`);
        break;
    }
    return problems;
  }
}
