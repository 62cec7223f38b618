import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holdOptimisingCompiler, optimisingCompilerHeld, releaseOptimisingCompiler, watchForBusy } from './optimisingCompiler.js';

const WINDOW_MS = 10;

/**
 * A process that spends `shares[i]` of a core of CPU per window over the i-th window, read
 * once at start and once a window. Its wall clock advances a window per read, or
 * `windows[i]` of them (a timer that fired late).
 */
function spending(shares: number[], windows: number[] = []) {
  let micros = 0;
  let at = 0;
  let reads = 0;
  return {
    cpuUsage: () => {
      if (reads++ > 0) {
        const spanned = windows.shift() ?? 1;
        micros += (shares.shift() ?? 0) * WINDOW_MS * spanned * 1_000;
        at += WINDOW_MS * spanned;
      }
      return { user: micros * 0.75, system: micros * 0.25 };
    },
    now: () => at,
    windowsLeft: () => shares.length,
  };
}

function busyWithin(watch: (onBusy: (share: number) => void) => { stop(): void }, timeoutMs = 5_000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const seen: number[] = [];
    const running = watch((share) => seen.push(share));
    const check = setInterval(() => {
      if (seen.length === 0) return;
      clearInterval(check);
      // Two windows more: a watch that reported once must stay quiet.
      setTimeout(() => {
        clearTimeout(expiry);
        running.stop();
        resolve(seen);
      }, WINDOW_MS * 3);
    }, 1);
    const expiry = setTimeout(() => {
      clearInterval(check);
      running.stop();
      reject(new Error(`no busy window within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

describe('optimisingCompiler', () => {
  it('holds TurboFan back, and Maglev where V8 has it on, until released, once', () => {
    const set: string[] = [];
    const setFlags = (flags: string) => void set.push(flags);
    assert.equal(holdOptimisingCompiler({ v8Major: 11, startFlags: [] }, setFlags), true);
    assert.equal(optimisingCompilerHeld(), true);
    assert.equal(holdOptimisingCompiler({ v8Major: 11, startFlags: [] }, setFlags), false, 'a second hold');
    assert.equal(releaseOptimisingCompiler(), true);
    assert.equal(releaseOptimisingCompiler(), false, 'a second release');
    assert.equal(optimisingCompilerHeld(), false);
    assert.equal(holdOptimisingCompiler({ v8Major: 12, startFlags: ['--max-old-space-size=64', '--optimize-for-size'] }, setFlags), true);
    assert.equal(releaseOptimisingCompiler(), true);
    assert.deepEqual(set, ['--no-opt', '--opt', '--no-opt --no-maglev', '--opt --maglev']);
  });

  it("leaves the tiers alone when the operator started node with a tier flag of their own", () => {
    const set: string[] = [];
    for (const flag of ['--no-opt', '--opt', '--turbofan', '--no-maglev', '--nomaglev', '--maglev', '--max-opt=2', '--max_opt=1', '--jitless', '--lite-mode']) {
      assert.equal(holdOptimisingCompiler({ v8Major: 12, startFlags: ['--enable-source-maps', flag] }, (flags) => void set.push(flags)), false, flag);
    }
    assert.deepEqual(set, []);
    assert.equal(optimisingCompilerHeld(), false);
  });

  it('reports the first busy window once, with its share of a core, and not the quiet ones before it', async () => {
    const clock = spending([0.01, 0.2, 0.24, 0.6, 0.9, 0.9]);
    const seen = await busyWithin((onBusy) => watchForBusy({ windowMs: WINDOW_MS, busyShare: 0.25, cpuUsage: clock.cpuUsage, now: clock.now, onBusy }));
    assert.equal(seen.length, 1);
    assert.ok(Math.abs(seen[0]! - 0.6) < 1e-9, `share ${seen[0]}`);
    assert.equal(clock.windowsLeft(), 2, 'the watch stopped reading after the busy window');
  });

  it('measures a window over the time that really passed when its timer fired late', async () => {
    // The same CPU time over three windows' worth of wall time is a third of the share.
    const clock = spending([0.2, 0.3], [3, 1]);
    const seen = await busyWithin((onBusy) => watchForBusy({ windowMs: WINDOW_MS, cpuUsage: clock.cpuUsage, now: clock.now, onBusy }));
    assert.equal(seen.length, 1);
    assert.ok(Math.abs(seen[0]! - 0.3) < 1e-9, `share ${seen[0]}`);
  });

  it('never reports an idle process, and stops when told', async () => {
    const clock = spending(Array.from({ length: 1_000 }, () => 0.1));
    const seen: number[] = [];
    const watch = watchForBusy({ windowMs: WINDOW_MS, cpuUsage: clock.cpuUsage, now: clock.now, onBusy: (share) => seen.push(share) });
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS * 10));
    watch.stop();
    const left = clock.windowsLeft();
    assert.ok(left < 1_000, 'the watch read the clock');
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS * 5));
    assert.equal(clock.windowsLeft(), left, 'no read after stop');
    assert.deepEqual(seen, []);
  });

  it('refuses a window no timer honours, and a share that is no share of a core', () => {
    for (const windowMs of [0, -1, Number.NaN, 2 ** 31]) assert.throws(() => watchForBusy({ windowMs, onBusy: () => {} }), TypeError);
    for (const busyShare of [0, -0.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => watchForBusy({ busyShare, onBusy: () => {} }), /busyShare/);
  });
});
