import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError, type ContainerResult, type OperationEvent } from '@lormas/protocol';
import { type Emit, OperationLedger, type OperationLedgerOptions } from './OperationLedger.js';

const RESULT: ContainerResult = { containerId: 'c1', name: 'web', state: 'running' };

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function ledgerWith(options: OperationLedgerOptions = {}) {
  const clock = fakeClock();
  return { clock, ledger: new OperationLedger({ now: clock.now, ...options }) };
}

/** Work that runs until `finish` or `fail` is called, counting how often it started. */
function controlledWork() {
  let emit!: Emit;
  let resolve!: (result: ContainerResult) => void;
  let reject!: (err: unknown) => void;
  let starts = 0;
  const work = (e: Emit) => {
    starts++;
    emit = e;
    return new Promise<ContainerResult>((res, rej) => ((resolve = res), (reject = rej)));
  };
  return { work, emit: (step: Parameters<Emit>[0]) => emit(step), finish: () => resolve(RESULT), fail: (err: unknown) => reject(err), starts: () => starts };
}

async function collect(iterable: AsyncIterable<{ id: string; data: OperationEvent }>) {
  const out: { id: string; data: OperationEvent }[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}

async function rejectsWithCode(promise: Promise<unknown>, code: AgentError['code']) {
  await assert.rejects(promise, (err: unknown) => err instanceof AgentError && err.code === code);
}

describe('OperationLedger.run', () => {
  it('runs the work on the first call and resolves with its result', async () => {
    const { ledger } = ledgerWith();
    assert.deepEqual(await ledger.run('op-1', 'create', 'f', async () => RESULT), RESULT);
  });

  it('returns the same promise to a replay while the operation runs, without running it again', async () => {
    const { ledger } = ledgerWith();
    const work = controlledWork();
    const first = ledger.run('op-1', 'create', 'f', work.work);
    const replay = ledger.run('op-1', 'create', 'f', work.work);
    assert.equal(replay, first);
    work.finish();
    assert.deepEqual(await replay, RESULT);
    assert.equal(work.starts(), 1);
  });

  it('answers a replay after completion with the recorded result, without running it again', async () => {
    const { ledger } = ledgerWith();
    let runs = 0;
    const work = async () => (runs++, RESULT);
    await ledger.run('op-1', 'create', 'f', work);
    assert.deepEqual(await ledger.run('op-1', 'create', 'f', work), RESULT);
    assert.equal(runs, 1);
  });

  it('rethrows the recorded AgentError to a replay of a failed operation', async () => {
    const { ledger } = ledgerWith();
    const failing = async () => {
      throw new AgentError('CONFLICT', 'name taken');
    };
    await rejectsWithCode(ledger.run('op-1', 'create', 'f', failing), 'CONFLICT');
    await rejectsWithCode(ledger.run('op-1', 'create', 'f', async () => RESULT), 'CONFLICT');
  });

  it('records an error that is not an AgentError as INTERNAL', async () => {
    const { ledger } = ledgerWith();
    await rejectsWithCode(
      ledger.run('op-1', 'start', 'f', async () => {
        throw new Error('boom');
      }),
      'INTERNAL',
    );
    assert.equal(ledger.status('op-1').error?.code, 'INTERNAL');
  });

  it('refuses a different request under a used id with OPERATION_ID_REUSED', async () => {
    const { ledger } = ledgerWith();
    await ledger.run('op-1', 'create', 'request-a', async () => RESULT);
    await rejectsWithCode(ledger.run('op-1', 'create', 'request-b', async () => RESULT), 'OPERATION_ID_REUSED');
    await rejectsWithCode(ledger.run('op-1', 'remove', 'request-a', async () => RESULT), 'OPERATION_ID_REUSED');
  });

  it('refuses a different request under the id of a running operation', async () => {
    const { ledger } = ledgerWith();
    const work = controlledWork();
    void ledger.run('op-1', 'create', 'request-a', work.work);
    await rejectsWithCode(ledger.run('op-1', 'create', 'request-b', work.work), 'OPERATION_ID_REUSED');
    work.finish();
  });
});

describe('OperationLedger.status', () => {
  it('reports a running operation, then its outcome with start and end times from the clock', async () => {
    const { ledger, clock } = ledgerWith();
    const work = controlledWork();
    const done = ledger.run('op-1', 'stop', 'f', work.work);
    assert.deepEqual(ledger.status('op-1'), {
      operationId: 'op-1',
      kind: 'stop',
      state: 'running',
      startedAt: 1_000_000,
      endedAt: null,
      result: null,
      error: null,
    });
    clock.advance(250);
    work.finish();
    await done;
    const status = ledger.status('op-1');
    assert.equal(status.state, 'succeeded');
    assert.equal(status.endedAt, 1_000_250);
    assert.deepEqual(status.result, RESULT);
  });

  it('reports a failed operation with its error shape', async () => {
    const { ledger } = ledgerWith();
    await ledger.run('op-1', 'pull', 'f', async () => Promise.reject(new AgentError('NOT_FOUND', 'no such image'))).catch(() => undefined);
    assert.deepEqual(ledger.status('op-1').error, { code: 'NOT_FOUND', message: 'no such image' });
  });

  it('throws NOT_FOUND for an unknown operation', () => {
    const { ledger } = ledgerWith();
    assert.throws(() => ledger.status('nope'), (err: unknown) => err instanceof AgentError && err.code === 'NOT_FOUND');
  });
});

describe('OperationLedger bounds', () => {
  it('forgets a completed operation once the retention window has passed', async () => {
    const { ledger, clock } = ledgerWith({ retentionMs: 1_000 });
    await ledger.run('op-1', 'start', 'f', async () => RESULT);
    clock.advance(999);
    assert.equal(ledger.status('op-1').state, 'succeeded');
    clock.advance(1);
    assert.throws(() => ledger.status('op-1'), (err: unknown) => (err as AgentError).code === 'NOT_FOUND');
  });

  it('runs the work again for an id forgotten after the retention window', async () => {
    const { ledger, clock } = ledgerWith({ retentionMs: 1_000 });
    let runs = 0;
    await ledger.run('op-1', 'start', 'f', async () => (runs++, RESULT));
    clock.advance(1_000);
    await ledger.run('op-1', 'start', 'f', async () => (runs++, RESULT));
    assert.equal(runs, 2);
  });

  it('keeps at most maxCompleted completed operations, forgetting the oldest first', async () => {
    const { ledger } = ledgerWith({ maxCompleted: 2 });
    for (const id of ['a', 'b', 'c']) await ledger.run(id, 'start', 'f', async () => RESULT);
    assert.throws(() => ledger.status('a'));
    assert.equal(ledger.status('b').state, 'succeeded');
    assert.equal(ledger.status('c').state, 'succeeded');
  });

  it('never forgets a running operation, however old', async () => {
    const { ledger, clock } = ledgerWith({ maxCompleted: 1, retentionMs: 10 });
    const work = controlledWork();
    const running = ledger.run('long', 'pull', 'f', work.work);
    for (const id of ['a', 'b', 'c']) await ledger.run(id, 'start', 'f', async () => RESULT);
    clock.advance(1_000);
    assert.equal(ledger.status('long').state, 'running');
    work.finish();
    await running;
  });

  it('keeps at most maxEventsPerOperation events, dropping the oldest but never the terminal one', async () => {
    const { ledger } = ledgerWith({ maxEventsPerOperation: 3 });
    await ledger.run('op-1', 'pull', 'f', async (emit) => {
      for (let i = 0; i < 5; i++) emit({ type: 'pulling', image: 'x', status: `line ${i}` });
      return { image: 'x', imageId: 'sha256:1' };
    });
    const events = await collect(ledger.watch('op-1'));
    assert.deepEqual(events.map((e) => e.id), ['4', '5', '6']);
    assert.equal(events.at(-1)?.data.type, 'succeeded');
  });

  it('refuses a new operation beyond maxRunning with LIMIT_EXCEEDED, still answers a replay, and takes one again when one ends', async () => {
    const { ledger } = ledgerWith({ maxRunning: 2 });
    const first = controlledWork();
    const running = ledger.run('op-1', 'start', 'f1', first.work);
    void ledger.run('op-2', 'start', 'f2', controlledWork().work);
    await rejectsWithCode(ledger.run('op-3', 'start', 'f3', controlledWork().work), 'LIMIT_EXCEEDED');
    assert.equal(ledger.run('op-1', 'start', 'f1', first.work), running, 'a replay of a running id is not a new operation');
    first.finish();
    await running;
    const third = controlledWork();
    void ledger.run('op-3', 'start', 'f3', third.work);
    assert.equal(third.starts(), 1, 'the refused id runs once there is room, as a new operation');
  });

  it('refuses a watch of an unknown operation beyond maxWatchWaiters with LIMIT_EXCEEDED', async () => {
    const { ledger } = ledgerWith({ maxWatchWaiters: 2, watchWaitMs: 60_000 });
    const abort = new AbortController();
    const waiting = [ledger.watch('a', undefined, abort.signal), ledger.watch('b', undefined, abort.signal)].map((watch) => watch.next());
    await rejectsWithCode(ledger.watch('c', undefined, abort.signal).next(), 'LIMIT_EXCEEDED');
    abort.abort();
    await Promise.all(waiting);
    const again = new AbortController();
    const next = ledger.watch('c', undefined, again.signal).next();
    again.abort();
    assert.deepEqual(await next, { done: true, value: undefined }, 'a waiter that ended makes room');
  });

  it('rejects a non-positive limit at construction with a TypeError naming the option', () => {
    assert.throws(() => new OperationLedger({ maxCompleted: 0 }), { name: 'TypeError', message: /maxCompleted/ });
  });
});

describe('OperationLedger.watch', () => {
  it('streams the events of a completed operation with ids, operation id and clock times, ending after succeeded', async () => {
    const { ledger, clock } = ledgerWith();
    await ledger.run('op-1', 'create', 'f', async (emit) => {
      emit({ type: 'creating', name: 'web' });
      clock.advance(5);
      emit({ type: 'created', containerId: 'c1' });
      return RESULT;
    });
    assert.deepEqual(await collect(ledger.watch('op-1')), [
      { id: '1', data: { type: 'creating', name: 'web', operationId: 'op-1', at: 1_000_000 } },
      { id: '2', data: { type: 'created', containerId: 'c1', operationId: 'op-1', at: 1_000_005 } },
      { id: '3', data: { type: 'succeeded', result: RESULT, operationId: 'op-1', at: 1_000_005 } },
    ]);
  });

  it('ends a failed operation with a failed event carrying the error', async () => {
    const { ledger } = ledgerWith();
    await ledger.run('op-1', 'create', 'f', async () => Promise.reject(new AgentError('CONFLICT', 'taken'))).catch(() => undefined);
    const events = await collect(ledger.watch('op-1'));
    assert.deepEqual(events.map((e) => e.data), [{ type: 'failed', error: { code: 'CONFLICT', message: 'taken' }, operationId: 'op-1', at: 1_000_000 }]);
  });

  it('streams a running operation live, ending after its terminal event', async () => {
    const { ledger } = ledgerWith();
    const work = controlledWork();
    const done = ledger.run('op-1', 'start', 'f', work.work);
    work.emit({ type: 'starting', containerId: 'c1' });
    const watching = collect(ledger.watch('op-1'));
    await new Promise((resolve) => setImmediate(resolve));
    work.emit({ type: 'running', containerId: 'c1' });
    work.finish();
    await done;
    assert.deepEqual((await watching).map((e) => e.data.type), ['starting', 'running', 'succeeded']);
  });

  it('resumes after the last event id it was given', async () => {
    const { ledger } = ledgerWith();
    await ledger.run('op-1', 'create', 'f', async (emit) => {
      emit({ type: 'creating', name: 'web' });
      emit({ type: 'created', containerId: 'c1' });
      return RESULT;
    });
    assert.deepEqual((await collect(ledger.watch('op-1', '1'))).map((e) => e.id), ['2', '3']);
    assert.deepEqual(await collect(ledger.watch('op-1', '3')), []);
  });

  it('ignores events emitted after the operation ended', async () => {
    const { ledger } = ledgerWith();
    let late!: Emit;
    await ledger.run('op-1', 'start', 'f', async (emit) => ((late = emit), RESULT));
    late({ type: 'running', containerId: 'c1' });
    assert.deepEqual((await collect(ledger.watch('op-1'))).map((e) => e.data.type), ['succeeded']);
  });

  it('waits for an operation that has not started yet, then streams it', async () => {
    const { ledger } = ledgerWith({ watchWaitMs: 5_000 });
    const watching = collect(ledger.watch('op-later'));
    await new Promise((resolve) => setImmediate(resolve));
    await ledger.run('op-later', 'start', 'f', async () => RESULT);
    assert.deepEqual((await watching).map((e) => e.data.type), ['succeeded']);
  });

  it('fails with NOT_FOUND when an unknown operation does not appear within watchWaitMs', async () => {
    const { ledger } = ledgerWith({ watchWaitMs: 20 });
    await rejectsWithCode(collect(ledger.watch('never')), 'NOT_FOUND');
  });

  it('ends quietly when its signal aborts while waiting for the next event', async () => {
    const { ledger } = ledgerWith();
    const work = controlledWork();
    const done = ledger.run('op-1', 'start', 'f', work.work);
    work.emit({ type: 'starting', containerId: 'c1' });
    const abort = new AbortController();
    const watching = collect(ledger.watch('op-1', null, abort.signal));
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    assert.deepEqual((await watching).map((e) => e.data.type), ['starting']);
    work.finish();
    await done;
  });

  it('ends quietly when its signal aborts while waiting for an unknown operation', async () => {
    const { ledger } = ledgerWith({ watchWaitMs: 60_000 });
    const abort = new AbortController();
    const watching = collect(ledger.watch('never', null, abort.signal));
    abort.abort();
    assert.deepEqual(await watching, []);
  });
});
