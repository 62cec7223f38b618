// Release keys and signed builds, on the operator's machine (the private key never goes to a
// server). Run from the workspace root with `pnpm release <command>`:
//
//   pnpm release keygen release.key
//       writes an Ed25519 key pair: release.key (private, PKCS#8 PEM, mode 0600) and
//       release.key.pub (the public key, base64 of its 32 bytes: RELEASE_KEY), and prints
//       the public key and its fingerprint (what the install one-liner names).
//   pnpm release sign --key release.key --build packages/agent/dist/agent.js --out releases
//       copies the build into the releases folder a server serves, beside its signed manifest
//       (<file>.release.json) and the public key (release-key.pub). The version is the one the
//       build reports (--version to state it); --kind is js or exe (default: js for a .js file),
//       --arch any for js, x64 or arm64 for exe (default: this machine's).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { AgentVersion, PROTOCOL_VERSION } from '@lormas/protocol';
import { encodeReleaseKey, releaseKeyFingerprint } from '@lormas/protocol';
import { generateReleaseKey, signBuild } from '../src/release/signRelease.js';

const cwd = process.env['INIT_CWD'] ?? process.cwd();
const [command, ...rest] = process.argv.slice(2);

function fail(message: string): never {
  process.stderr.write(`release: ${message}\n`);
  process.exit(2);
}

if (command === 'keygen') {
  const file = rest[0] ? resolve(cwd, rest[0]) : fail('usage: release keygen <private key file>');
  if (existsSync(file)) fail(`${file} exists; a release key is never overwritten`);
  const key = generateReleaseKey();
  writeFileSync(file, key.privateKeyPem, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${file}.pub`, `${key.publicKey}\n`);
  process.stdout.write(`private key: ${file} (keep it offline; it signs every agent build)\npublic key (RELEASE_KEY): ${key.publicKey}\nfingerprint: ${key.fingerprint}\n`);
} else if (command === 'sign') {
  const { values } = parseArgs({
    args: rest,
    options: { key: { type: 'string' }, build: { type: 'string' }, out: { type: 'string' }, kind: { type: 'string' }, arch: { type: 'string' }, version: { type: 'string' }, protocol: { type: 'string' } },
  });
  if (!values.key || !values.build || !values.out) fail('usage: release sign --key <private key> --build <file> --out <releases folder> [--kind js|exe] [--arch any|x64|arm64] [--version V]');
  const build = resolve(cwd, values.build);
  const kind = values.kind ?? (build.endsWith('.js') ? 'js' : 'exe');
  if (kind !== 'js' && kind !== 'exe') fail('--kind must be js or exe');
  const arch = values.arch ?? (kind === 'js' ? 'any' : process.arch);
  if (!(kind === 'js' ? ['any'] : ['x64', 'arm64']).includes(arch)) fail(`--arch ${arch} does not go with --kind ${kind}`);
  // The version the build itself reports, unless stated: a manifest that names another would be refused by nobody.
  const version = values.version ?? execFileSync(kind === 'js' ? process.execPath : build, kind === 'js' ? [build, '--version'] : ['--version'], { encoding: 'utf8' }).trim();
  if (!AgentVersion.safeParse(version).success) fail(`the version "${version}" is not MAJOR.MINOR.PATCH[-pre]`);
  const privateKey = createPrivateKey(readFileSync(resolve(cwd, values.key)));
  const publicKey = encodeReleaseKey(createPublicKey(privateKey));
  const out = resolve(cwd, values.out);
  mkdirSync(out, { recursive: true });
  const keyFile = join(out, 'release-key.pub');
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8').trim() !== publicKey) fail(`${keyFile} holds another release key`);
  writeFileSync(keyFile, `${publicKey}\n`);
  const name = kind === 'js' ? `lormas-agent-${version}.js` : `lormas-agent-${version}-linux-${arch}`;
  const target = join(out, name);
  copyFileSync(build, target);
  chmodSync(target, 0o755);
  const { manifest, release } = await signBuild(target, { version, kind, arch: arch as 'any' | 'x64' | 'arm64', protocolVersion: values.protocol ?? PROTOCOL_VERSION }, privateKey);
  writeFileSync(`${target}.release.json`, `${JSON.stringify(release, null, 2)}\n`);
  process.stdout.write(
    `signed ${basename(build)} as ${name}: ${manifest.kind} ${manifest.arch}, version ${manifest.version}, ${manifest.sizeBytes} bytes, sha256 ${manifest.sha256}\nrelease key fingerprint: ${releaseKeyFingerprint(Buffer.from(publicKey, 'base64'))}\n`,
  );
} else {
  fail('usage: release keygen <file> | release sign --key <file> --build <file> --out <folder>');
}
