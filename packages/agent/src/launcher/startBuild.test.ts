import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HANDOVER_UNTIL_VARIABLE, LAUNCH_REQUESTS_VARIABLE, LAUNCHER_FD_VARIABLE } from './handover.js';
import { startBuild } from './startBuild.js';

describe('startBuild', () => {
  it('tells the build its pipe, its handover, and that this launcher takes upgrade requests in their own file', async (t) => {
    const folder = mkdtempSync(path.join(tmpdir(), 'lormas-start-build-'));
    t.after(() => rmSync(folder, { recursive: true, force: true }));
    const build = path.join(folder, 'build.js');
    // A stand-in build: says `ready` on the launcher's pipe only when told all three; exits 3 otherwise.
    writeFileSync(
      build,
      `const told = process.env.${LAUNCH_REQUESTS_VARIABLE} === '1' && process.env.${HANDOVER_UNTIL_VARIABLE} === '1234';
if (!told) process.exit(3);
require('node:fs').writeSync(Number(process.env.${LAUNCHER_FD_VARIABLE}), 'ready\\n');`,
    );
    const child = startBuild(build, 1_234);
    const first = await Promise.race([child.ready.then(() => 'ready'), child.exited.then(({ code }) => `exited ${code}`)]);
    assert.equal(first, 'ready');
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });
});
