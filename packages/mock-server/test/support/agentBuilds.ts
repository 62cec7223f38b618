import { execFile } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './agentProcess.js';

const run = promisify(execFile);

/**
 * Builds the agent's self-contained file into `out`, reporting `version` (the same code,
 * stamped with another version, as `build.mjs --version` makes test builds).
 */
export async function buildAgent(out: string, version: string): Promise<string> {
  await run(process.execPath, [join(REPO_ROOT, 'packages/agent/build.mjs'), '--version', version, '--out', out], { cwd: REPO_ROOT });
  return out;
}

/**
 * Builds the single executable for this CPU (`build.mjs --exe`, the workspace's pinned
 * `bun build --compile`) into `folder`, reporting `version`; returns its file.
 */
export async function buildExe(folder: string, version: string): Promise<string> {
  await run(process.execPath, [join(REPO_ROOT, 'packages/agent/build.mjs'), '--exe', '--version', version, '--out', join(folder, 'agent.js')], { cwd: REPO_ROOT });
  return join(folder, `lormas-agent-linux-${process.arch}`);
}

/** `pnpm release keygen`: a release key pair; returns the private key's file, the public key and its fingerprint. */
export async function releaseKey(folder: string, name = 'release.key'): Promise<{ file: string; publicKey: string; fingerprint: string }> {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, name);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'packages/agent/scripts/release.ts', 'keygen', file], { cwd: REPO_ROOT });
  return { file, publicKey: /RELEASE_KEY\): (\S+)/.exec(stdout)![1]!, fingerprint: /fingerprint: ([0-9a-f]{64})/.exec(stdout)![1]! };
}

/** `pnpm release sign`: copies the build into `releases` beside its signed manifest; returns the signed manifest. */
export async function signBuild(key: string, build: string, releases: string, extra: string[] = []): Promise<{ manifest: string; signature: string; file: string }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'packages/agent/scripts/release.ts', 'sign', '--key', key, '--build', build, '--out', releases, ...extra], { cwd: REPO_ROOT });
  const name = /as (\S+):/.exec(stdout)![1]!;
  const file = join(releases, name);
  return { ...(JSON.parse(readFileSync(`${file}.release.json`, 'utf8')) as { manifest: string; signature: string }), file };
}

/** Writes a root-owned settings file (the tests run as root) for an agent under its launcher. */
export function writeConfigFile(file: string, settings: Record<string, string>): string {
  writeFileSync(file, `${Object.entries(settings).map(([name, value]) => `${name}=${value}`).join('\n')}\n`, { mode: 0o644 });
  return file;
}

/** Signs a manifest's text with a release key's private half, as a forger holding that key would. */
export function signManifestText(text: string, keyFile: string): { manifest: string; signature: string } {
  return { manifest: text, signature: sign(null, Buffer.from(text, 'utf8'), createPrivateKey(readFileSync(keyFile))).toString('base64') };
}
