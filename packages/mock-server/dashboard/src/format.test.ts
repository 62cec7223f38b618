import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ago, bytes, duration, parseEnv, parseVolumes, share, splitCommand } from './format.js';

describe('dashboard formatting', () => {
  it('writes sizes in binary units', () => {
    assert.equal(bytes(0), '0 B');
    assert.equal(bytes(1536), '1.5 KiB');
    assert.equal(bytes(24 * 1024 ** 3), '24 GiB');
    assert.equal(bytes(null), '—');
  });

  it('writes shares, bounded to 0..100, and 0 of nothing', () => {
    assert.equal(share(1, 3), 33.3);
    assert.equal(share(5, 0), 0);
    assert.equal(share(7, 5), 100);
  });

  it('writes durations and relative times at a readable grain', () => {
    assert.equal(duration(850), '850 ms');
    assert.equal(duration(4_240), '4.2 s');
    assert.equal(duration(185_000), '3 min 5 s');
    assert.equal(duration(7_800_000), '2 h 10 min');
    const now = Date.parse('2026-01-01T12:00:00Z');
    assert.equal(ago('2026-01-01T11:59:59.500Z', now), 'just now');
    assert.equal(ago('2026-01-01T11:59:30Z', now), '30 s ago');
    assert.equal(ago('2026-01-01T09:00:00Z', now), '3 h ago');
    assert.equal(ago(null, now), 'never');
  });

  it('splits a command line on spaces, keeping quoted words whole', () => {
    assert.deepEqual(splitCommand(`sh -c "echo 'hi there'; sleep 1"`), ['sh', '-c', "echo 'hi there'; sleep 1"]);
    assert.deepEqual(splitCommand("  a  ''  b\\ c "), ['a', '', 'b c']);
    assert.throws(() => splitCommand('echo "open'), SyntaxError);
  });

  it('reads KEY=value lines and volume lines, naming the bad line', () => {
    assert.deepEqual(parseEnv('A=1\n# note\n\nB=x=y'), { A: '1', B: 'x=y' });
    assert.throws(() => parseEnv('A=1\nnope'), /line 2/);
    assert.deepEqual(parseVolumes('data:/var/lib/data\ncache:/cache:ro'), [
      { type: 'volume', source: 'data', target: '/var/lib/data', readOnly: false },
      { type: 'volume', source: 'cache', target: '/cache', readOnly: true },
    ]);
    assert.throws(() => parseVolumes('/etc:/etc'), /line 1/);
  });
});
