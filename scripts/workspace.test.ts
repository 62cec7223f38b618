import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const PACKAGES = readdirSync(join(ROOT, 'packages'));

describe('the workspace', () => {
  it("declares exactly the dependencies each package imports (knip: nothing unused, unlisted or unresolved)", async () => {
    const result = await run('pnpm', ['-s', 'knip'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    assert.equal(result.code, 0, result.stdout);
  });

  it('gives every package a test script, so `pnpm --filter <package> test` works', () => {
    for (const name of PACKAGES) {
      const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      assert.ok(manifest.scripts?.['test'], `packages/${name} has no test script`);
    }
  });

  it('packs @lormas/protocol as publishing would, and every face imports from plain Node outside the workspace', { timeout: 120_000 }, async () => {
    const folder = mkdtempSync(join(tmpdir(), 'lormas-pack-'));
    try {
      const packageDir = join(ROOT, 'packages', 'protocol');
      await run('pnpm', ['pack', '--pack-destination', folder], { cwd: packageDir });
      const tarball = readdirSync(folder).find((file) => file.endsWith('.tgz'))!;
      // Installed as npm would lay it out, with its dependencies beside it; no TypeScript tooling, no workspace.
      const installed = join(folder, 'app', 'node_modules', '@lormas', 'protocol');
      mkdirSync(installed, { recursive: true });
      await run('tar', ['-xzf', join(folder, tarball), '-C', installed, '--strip-components=1']);
      const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; exports: Record<string, unknown> };
      assert.deepEqual(Object.keys(manifest.exports).sort(), ['.', './agent', './cluster', './release', './server', './testing']);
      for (const dependency of Object.keys(manifest.dependencies)) {
        // Scoped dependencies (@nats-io/kv) live a folder down.
        mkdirSync(dirname(join(folder, 'app', 'node_modules', dependency)), { recursive: true });
        symlinkSync(realpathSync(join(packageDir, 'node_modules', dependency)), join(folder, 'app', 'node_modules', dependency));
      }
      const script = `
        const root = await import('@lormas/protocol');
        const agent = await import('@lormas/protocol/agent');
        const server = await import('@lormas/protocol/server');
        const testing = await import('@lormas/protocol/testing');
        const cluster = await import('@lormas/protocol/cluster');
        const release = await import('@lormas/protocol/release');
        const seen = {
          root: typeof root.agentContract === 'object' && typeof root.AgentError === 'function' && root.PROTOCOL_VERSION,
          agent: typeof agent.serveAgentLink,
          server: typeof server.AgentHub,
          testing: typeof testing.startTestHub,
          cluster: typeof cluster.ClusterHub,
          release: typeof release.verifyManifestSignature,
          procedures: Object.keys(root.contractJsonSchema().procedures).length,
        };
        console.log(JSON.stringify(seen));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        cwd: join(folder, 'app'),
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: folder },
      });
      const seen = JSON.parse(stdout) as Record<string, unknown>;
      assert.equal(seen['agent'], 'function');
      assert.equal(seen['server'], 'function');
      assert.equal(seen['testing'], 'function');
      assert.equal(seen['cluster'], 'function');
      assert.equal(seen['release'], 'function');
      assert.ok(typeof seen['root'] === 'string');
      assert.ok((seen['procedures'] as number) >= 20);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
