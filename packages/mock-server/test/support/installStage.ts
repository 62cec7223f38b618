import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The install script as the server serves it. */
export const INSTALL_SCRIPT = new URL('../../install/install.sh', import.meta.url).pathname;

/**
 * Stand-ins for what the install changes on the host beyond its root folder: no user is
 * created, no file changes owner, no unit starts. `setpriv` runs the command as this user.
 */
const STAND_INS: Record<string, string> = {
  systemctl: 'exit 0',
  useradd: 'exit 0',
  usermod: 'exit 0',
  chown: 'exit 0',
  getent: 'exit 0',
  id: '[ "$1" = lormas ] && exit 0\nexec /usr/bin/id "$@"',
  install: 'skip=\nfor a do\n  shift\n  if [ -n "$skip" ]; then skip=; continue; fi\n  case $a in -o | -g) skip=1; continue ;; esac\n  set -- "$@" "$a"\ndone\nexec /usr/bin/install "$@"',
  // Runs the command as a child, as runuser does: its own command line stays in ps meanwhile.
  setpriv: 'while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done\nshift\n"$@"',
};

/**
 * The build the stage offers: on `join` it writes a token, and a report of the join code it
 * got and of every command line on the host that holds that code.
 */
const FAKE_AGENT = `const fs = require('fs');
if (process.argv[2] !== 'join') process.exit(3);
const code = process.env.JOIN_CODE || '';
const lines = [];
for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
  try { lines.push(fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').join(' ')); } catch {}
}
fs.writeFileSync(process.env.STATE_DIR + '/report.json', JSON.stringify({ code, holding: lines.filter((l) => code && l.includes(code)) }));
fs.writeFileSync(process.env.STATE_DIR + '/node-token', 'a.b.c\\n');
`;

export interface InstallStage {
  url: string;
  folder: string;
  root: string;
  tmp: string;
  fingerprint: string;
  publicKey: Buffer;
  /** The paths requested, in order. */
  requests: string[];
  /** Serves `text` (exact bytes, signed as they are) as the newest build's manifest. */
  setManifest(suffix: string): string;
  /** Holds the answer to `path` until the promise resolves; resolves `arrived` when it comes. */
  hold(path: string): { arrived: Promise<void>; release: () => void };
  run(args: string[], env?: Record<string, string>): { pid: number; exited: Promise<{ code: number | null; output: string }> };
  close(): Promise<void>;
}

/**
 * A stage for the install script under dash, without Docker, systemd or a new user: a small
 * HTTP server answering the four `/agent/` paths the script fetches, a signed stand-in build
 * for `js-any`, stand-in host tools on PATH, and a root folder (`LORMAS_ROOT`).
 */
export async function installStage(prefix: string): Promise<InstallStage> {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  const root = join(folder, 'root');
  const bin = join(folder, 'bin');
  const tmp = join(folder, 'tmp');
  for (const dir of [root, bin, tmp]) mkdirSync(dir);
  for (const [name, body] of Object.entries(STAND_INS)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const build = Buffer.from(FAKE_AGENT);
  const sha256 = createHash('sha256').update(build).digest('hex');
  let manifest = Buffer.alloc(0);
  const requests: string[] = [];
  const held = new Map<string, { arrived: () => void; released: Promise<void> }>();
  const answers = (path: string): Buffer | null =>
    path === '/agent/release-key'
      ? Buffer.from(`${raw.toString('base64')}\n`)
      : path === '/agent/latest/js-any/manifest'
        ? manifest
        : path === '/agent/latest/js-any/signature'
          ? Buffer.from(`${sign(null, manifest, privateKey).toString('base64')}\n`)
          : path === `/agent/builds/${sha256}`
            ? build
            : null;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    requests.push(path);
    const hold = held.get(path);
    hold?.arrived();
    void (hold?.released ?? Promise.resolve()).then(() => {
      const body = answers(path);
      res.writeHead(body ? 200 : 404).end(body ?? undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    folder,
    root,
    tmp,
    publicKey: raw,
    fingerprint: createHash('sha256').update(raw).digest('hex'),
    requests,
    setManifest(suffix) {
      const text = `${JSON.stringify({ format: 'lormas-agent-release/1', version: '0.9.0', kind: 'js', arch: 'any', sha256, sizeBytes: build.length, protocolVersion: '1.1' })}${suffix}`;
      manifest = Buffer.from(text);
      return text;
    },
    hold(path) {
      let arrived!: () => void;
      let release!: () => void;
      const came = new Promise<void>((resolve) => (arrived = resolve));
      held.set(path, { arrived, released: new Promise<void>((resolve) => (release = resolve)) });
      return { arrived: came, release };
    },
    run(args, env = {}) {
      const child = spawn('dash', [INSTALL_SCRIPT, ...args], {
        env: { PATH: `${bin}:${process.env['PATH']}`, HOME: folder, TMPDIR: tmp, LORMAS_ROOT: root, LORMAS_NODE: process.execPath, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.once('exit', (code) => resolve({ code, output })));
      return { pid: child.pid!, exited };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A join code as the server makes them: 20 random bytes, base64url. */
export const joinCode = () => randomBytes(20).toString('base64url');
