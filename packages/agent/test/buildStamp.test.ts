import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AgentVersion } from '@lormas/protocol';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/**
 * `build.mjs` run on a package of its own: a copy of the script beside an entry and a
 * `src/buildInfo.ts` the test writes. The folder lies inside this package, so the copy finds
 * esbuild where the real one does.
 */
function buildOf(buildInfo: string, entry = "import { BUILD_KIND } from './src/buildInfo.js';\nconsole.log(BUILD_KIND);\n") {
  const folder = mkdtempSync(path.join(PACKAGE, '.build-stamp-test-'));
  mkdirSync(path.join(folder, 'src'));
  copyFileSync(path.join(PACKAGE, 'build.mjs'), path.join(folder, 'build.mjs'));
  writeFileSync(path.join(folder, 'agent.ts'), entry);
  writeFileSync(path.join(folder, 'src', 'buildInfo.ts'), buildInfo);
  const out = path.join(folder, 'out', 'agent.js');
  return new Promise<{ folder: string; out: string; code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(folder, 'build.mjs'), '--out', out], { cwd: folder }, (error, _stdout, stderr) =>
      resolve({ folder, out, code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
    );
  });
}

describe('build.mjs stamps BUILD_KIND, or fails the build', () => {
  const folders: string[] = [];
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));
  const real = readFileSync(path.join(PACKAGE, 'src', 'buildInfo.ts'), 'utf8');

  it("stamps the package's own buildInfo.ts as 'js'", async () => {
    const built = await buildOf(real);
    folders.push(built.folder);
    assert.equal(built.code, 0, built.stderr);
    const ran = await new Promise<string>((resolve, reject) => execFile(process.execPath, [built.out], (error, stdout) => (error ? reject(error) : resolve(stdout))));
    assert.equal(ran.trim(), 'js');
  });

  it('fails the build when buildInfo.ts declares BUILD_KIND in another spelling', async () => {
    const built = await buildOf(real.replace("= 'source'", '= "source"'));
    folders.push(built.folder);
    assert.notEqual(built.code, 0, 'the build passed without stamping its kind');
    assert.match(built.stderr, /cannot stamp its kind/);
  });

  it('fails the build when buildInfo.ts is not part of the bundle', async () => {
    const built = await buildOf(real, "console.log('no build info');\n");
    folders.push(built.folder);
    assert.notEqual(built.code, 0, 'the build passed without stamping its kind');
    assert.match(built.stderr, /BUILD_KIND is not stamped/);
  });
});

describe("build.mjs --version: the protocol's AgentVersion, which the script (plain JavaScript) cannot import", () => {
  const script = readFileSync(path.join(PACKAGE, 'build.mjs'), 'utf8');

  it('holds the same pattern and length bound as AgentVersion', () => {
    const checks = AgentVersion._zod.def.checks ?? [];
    const pattern = checks.map((check) => (check._zod.def as { pattern?: RegExp }).pattern).find((found) => found instanceof RegExp);
    assert.ok(pattern, 'AgentVersion has a pattern');
    assert.ok(script.includes(`/${pattern.source}/.test(args.version)`), "build.mjs's version pattern is not AgentVersion's");
    assert.ok(script.includes(`args.version.length > ${AgentVersion.maxLength}`), "build.mjs's length bound is not AgentVersion's");
  });

  it('refuses a version semver cannot order, before building anything', async () => {
    const refused = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [path.join(PACKAGE, 'build.mjs'), '--version', '1.0.0-rc.01', '--out', path.join(PACKAGE, '.never-built.js')], { cwd: PACKAGE }, (error, _stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
      ),
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--version must be MAJOR\.MINOR\.PATCH/);
  });
});
