import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogEntry } from '@lormas/protocol';
import { type OpenAgentStream, SharedLogStreams } from './SharedLogStreams.js';

const entry = (line: string): LogEntry => ({ stream: 'stdout', timestamp: '2026-01-01T00:00:00.000000000Z', line });

/** A fake agent: counts the streams opened and lets the test push lines or end them. */
function fakeAgent() {
  const streams: { push(lines: string[]): void; complete(): void; unsubscribed: boolean; tail: number }[] = [];
  const open: OpenAgentStream = (handlers, tail) => {
    const stream = { push: (lines: string[]) => handlers.onEntries(lines.map(entry)), complete: () => handlers.onComplete(), unsubscribed: false, tail };
    streams.push(stream);
    return { unsubscribe: () => (stream.unsubscribed = true) };
  };
  return { streams, open };
}

function viewer() {
  const lines: string[] = [];
  let ended: unknown = undefined;
  return { lines, ended: () => ended, entries: (entries: readonly LogEntry[]) => lines.push(...entries.map((e) => e.line)), end: (error: unknown) => (ended = error) };
}

describe('SharedLogStreams', () => {
  it('opens one agent stream for any number of viewers of a container', () => {
    const logs = new SharedLogStreams({ tailLines: 100 });
    const agent = fakeAgent();
    const a = viewer();
    const b = viewer();
    logs.join('ctr_1', a, 20, agent.open);
    logs.join('ctr_1', b, 100, agent.open);
    agent.streams[0]!.push(['one']);
    assert.equal(agent.streams.length, 1);
    assert.equal(agent.streams[0]!.tail, 20, "the agent sends the first viewer's tail, not more");
    assert.deepEqual(a.lines, ['one']);
    assert.deepEqual(b.lines, ['one']);
  });

  it('asks the agent for at most tailLines lines of history', () => {
    const logs = new SharedLogStreams({ tailLines: 10 });
    const agent = fakeAgent();
    logs.join('ctr_1', viewer(), 10, agent.open);
    logs.join('ctr_2', viewer(), 0, agent.open);
    assert.deepEqual(agent.streams.map((s) => s.tail), [10, 0]);
  });

  it('gives a late viewer the recent lines it asked for, then the live ones', () => {
    const logs = new SharedLogStreams({ tailLines: 3 });
    const agent = fakeAgent();
    logs.join('ctr_1', viewer(), 3, agent.open);
    agent.streams[0]!.push(['1', '2', '3', '4']);
    const late = viewer();
    logs.join('ctr_1', late, 2, agent.open);
    agent.streams[0]!.push(['5']);
    assert.deepEqual(late.lines, ['3', '4', '5']);
  });

  it('closes the agent stream when the last viewer leaves, and opens a new one for the next', () => {
    const logs = new SharedLogStreams();
    const agent = fakeAgent();
    const leaveA = logs.join('ctr_1', viewer(), 10, agent.open);
    const leaveB = logs.join('ctr_1', viewer(), 10, agent.open);
    leaveA();
    assert.equal(agent.streams[0]!.unsubscribed, false);
    leaveB();
    assert.equal(agent.streams[0]!.unsubscribed, true);
    assert.equal(logs.open, 0);
    logs.join('ctr_1', viewer(), 10, agent.open);
    assert.equal(agent.streams.length, 2);
  });

  it('ends every viewer when the agent stream ends', () => {
    const logs = new SharedLogStreams();
    const agent = fakeAgent();
    const a = viewer();
    const b = viewer();
    logs.join('ctr_1', a, 10, agent.open);
    logs.join('ctr_1', b, 10, agent.open);
    agent.streams[0]!.complete();
    assert.equal(a.ended(), null);
    assert.equal(b.ended(), null);
    assert.equal(logs.open, 0);
  });
});
