import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIGURES = [1, 2, 3, 4, 5, 6, 7, 8];

/** Runs `bench/run.ts --quick` to completion; resolves with its exit code and output. */
function runQuickBench(out: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', `--out=${out}`], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

const numberOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

// No timing is asserted: the machines are noisy and the figures are for reading, not gating.
describe('pnpm bench --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lormas-bench-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('completes and writes every figure as JSON with value, unit, baseline, ratio, workload, median, p99 and rounds', { timeout: 8 * 60_000 }, async () => {
    const out = join(dir, 'bench-results.json');
    const { code, output } = await runQuickBench(out);
    assert.equal(code, 0, output.slice(-3_000));
    const report = JSON.parse(readFileSync(out, 'utf8')) as { quick: unknown; machine: unknown; results: Record<string, unknown>[] };
    assert.equal(report.quick, true);
    assert.equal(typeof report.machine, 'object');
    assert.ok(Array.isArray(report.results));
    for (const figure of FIGURES) assert.ok(report.results.some((r) => String(r['name']).startsWith(`${figure}. `)), `figure ${figure} is in the results`);
    for (const r of report.results) {
      const what = JSON.stringify(r).slice(0, 300);
      assert.equal(typeof r['name'], 'string', what);
      assert.equal(typeof r['unit'], 'string', what);
      assert.equal(typeof r['workload'], 'string', what);
      for (const key of ['value', 'baseline', 'ratio', 'median', 'p99']) assert.ok(numberOrNull(r[key]), `${key} of ${what}`);
      assert.ok(Number.isInteger(r['rounds']) && (r['rounds'] as number) >= 0, what);
      assert.ok(r['notes'] === undefined || typeof r['notes'] === 'string', what);
      assert.ok(!String(r['notes'] ?? '').startsWith('failed:'), `a figure failed: ${what}`);
      if (r['value'] === null) assert.match(String(r['notes']), /^not measured: /, `an empty figure says why: ${what}`);
      else assert.ok(r['rounds'] as number > 0, what);
    }
  });
});
