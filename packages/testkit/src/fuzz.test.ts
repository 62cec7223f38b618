import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkFuzz, FuzzFailure, fuzzSettings } from './fuzz.js';

const runs = { quick: 50, long: 10_000 };

describe('fuzzSettings', () => {
  it('runs the quick count with a random 32-bit seed by default', () => {
    const settings = fuzzSettings(runs, {});
    assert.equal(settings.mode, 'quick');
    assert.equal(settings.numRuns, 50);
    assert.equal(settings.seed, settings.seed | 0);
    assert.equal(settings.replay, `LORMAS_FUZZ_SEED=${settings.seed}`);
  });

  it('replays LORMAS_FUZZ_SEED and runs the long count with LORMAS_FUZZ=long', () => {
    const settings = fuzzSettings(runs, { LORMAS_FUZZ_SEED: '-42', LORMAS_FUZZ: 'long' });
    assert.deepEqual(settings, { seed: -42, mode: 'long', numRuns: 10_000, replay: 'LORMAS_FUZZ_SEED=-42 LORMAS_FUZZ=long' });
  });

  it('refuses a seed that is not a 32-bit integer and an unknown mode, naming the variable', () => {
    for (const seed of ['abc', '1.5', '4294967296', '12x']) assert.throws(() => fuzzSettings(runs, { LORMAS_FUZZ_SEED: seed }), /LORMAS_FUZZ_SEED/);
    assert.throws(() => fuzzSettings(runs, { LORMAS_FUZZ: 'forever' }), /LORMAS_FUZZ /);
  });
});

describe('checkFuzz', () => {
  it('names the seed and the replay line when the property fails', async () => {
    const settings = fuzzSettings(runs, { LORMAS_FUZZ_SEED: '7' });
    const failure = await checkFuzz(fc.property(fc.nat(), (n) => n < 10), settings).then(
      () => assert.fail('expected a failure'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof FuzzFailure);
    assert.match(failure.message, /seed 7; replay it with LORMAS_FUZZ_SEED=7/);
    assert.match(failure.message, /Counterexample/);
  });

  it('fails naming the seed when an error escapes to the process while the property runs', async () => {
    // In a process of its own: under the test runner an escaped error fails the calling test anyway.
    const script = [
      "import fc from 'fast-check';",
      "import { checkFuzz, fuzzSettings } from './src/fuzz.ts';",
      "const property = fc.asyncProperty(fc.nat(), async () => {",
      "  setImmediate(() => { throw new Error('thrown from a timer'); });",
      "  await new Promise((resolve) => setTimeout(resolve, 10));",
      "});",
      "await checkFuzz(property, fuzzSettings({ quick: 1, long: 1 }, { LORMAS_FUZZ_SEED: '3' })).catch((error) => console.log(error.name, error.message));",
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
    assert.match(stdout, /^FuzzFailure fuzzing failed with seed 3; replay it with LORMAS_FUZZ_SEED=3\nan error escaped while fuzzing: Error: thrown from a timer/);
  });

  it('replays the same values from the same seed', async () => {
    const seen = async () => {
      const values: number[] = [];
      await checkFuzz(fc.property(fc.integer(), (n) => void values.push(n)), fuzzSettings({ quick: 20, long: 20 }, { LORMAS_FUZZ_SEED: '99' }));
      return values;
    };
    assert.deepEqual(await seen(), await seen());
  });
});
