// Bundles the agent into dist/agent.js: one self-contained file that starts with `node` 18+ or
// `bun` on a host with nothing else installed. Every dependency is inlined; there are no chunk
// files. Left out:
// - native add-ons (`bufferutil` and friends): optional speed-ups that `ws` loads if present;
// - code a dependency brings that the agent never runs: dockerode's BuildKit session support
//   and builds (gRPC and protobuf, loaded by `dockerode/lib/docker.js`), its build contexts
//   (tar-fs), and docker-modem's SSH transport (the agent speaks to `unix://` and `tcp://`
//   engines only).
// `readable-stream` (a copy of Node's streams that docker-modem loads) is Node's own `stream`;
// `zlib` loads when first used, and docker-modem's `debug` tracing is silent (`loadWhenUsed`).
//
//   node build.mjs                      dist/agent.js
//   node build.mjs --exe                and dist/lormas-agent-linux-x64, a single executable (`bun build --compile`)
//   node build.mjs --version 1.2.3 --out other.js   the same code, reporting another version (test builds)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { exe: { type: 'boolean', default: false }, version: { type: 'string' }, out: { type: 'string', default: 'dist/agent.js' } } });
// The protocol's AgentVersion: semver's canonical form (no leading zeros), bounded. A version the agents' order has no place for could never be upgraded from.
if (args.version !== undefined && (args.version.length > 128 || !/^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(-(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?$/.test(args.version))) {
  console.error('--version must be MAJOR.MINOR.PATCH[-pre.release], without leading zeros, at most 128 characters (the protocol\'s AgentVersion)');
  process.exit(2);
}

const NATIVE = ['bufferutil', 'utf-8-validate', 'cpu-features', '*.node'];

/** Replaces modules the agent never runs with a stub that fails loudly if anything calls it. */
const leaveOut = {
  name: 'leave-out-unused',
  setup(build) {
    const unused = [
      { importer: /dockerode[\\/]lib[\\/]docker\.js$/, path: './session', what: "dockerode's BuildKit session support" },
      { importer: /dockerode[\\/]lib[\\/]docker\.js$/, path: './buildkit', what: "dockerode's BuildKit builds" },
      { importer: /docker-modem[\\/]lib[\\/]modem\.js$/, path: './ssh', what: "docker-modem's SSH transport" },
      { importer: /dockerode[\\/]lib[\\/]util\.js$/, path: 'tar-fs', what: "dockerode's build contexts" },
      { importer: /dockerode[\\/]lib[\\/]util\.js$/, path: '@balena/dockerignore', what: "dockerode's build contexts" },
    ];
    build.onResolve({ filter: /^(\.\/(session|buildkit|ssh)|tar-fs|@balena\/dockerignore)$/ }, (args) => {
      const hit = unused.find((entry) => entry.path === args.path && entry.importer.test(args.importer));
      return hit ? { path: hit.what, namespace: 'left-out' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `module.exports = function leftOut() { throw new Error(${JSON.stringify(`${args.path} is not part of the lormas agent`)}); };`,
      loader: 'js',
    }));
  },
};

/**
 * Built-in modules the idle agent never calls, loaded when first used instead of at start:
 * `zlib`, which `ws` (for permessage-deflate, used only when a server accepts it) and
 * dockerode's build contexts require as they load. And `debug`, docker-modem's tracing
 * (`DEBUG=modem`), is silent: the agent logs through its own logger, and `debug` loads `tty`
 * and `os` as it loads. With `node:perf_hooks` and `node:fs/promises` kept out of the
 * agent's own code, the idle agent holds 1.4 MiB less on Node (issue 16). The stand-in for
 * `zlib` serves CommonJS users that read its properties when they call them (ws, dockerode):
 * an ES `import { x } from 'zlib'` would list its names at load, and find none.
 */
const loadWhenUsed = {
  name: 'load-when-used',
  setup(build) {
    build.onResolve({ filter: /^(node:)?zlib$/ }, (args) => (args.namespace === 'when-used' ? undefined : { path: 'zlib', namespace: 'when-used' }));
    build.onLoad({ filter: /.*/, namespace: 'when-used' }, () => ({
      contents: "let zlib; module.exports = new Proxy({}, { get: (_, name) => (zlib ??= require('node:zlib'))[name] });",
      loader: 'js',
    }));
    build.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'silent' }));
    build.onLoad({ filter: /.*/, namespace: 'silent' }, () => ({
      contents: 'function createDebug() { const debug = () => {}; debug.enabled = false; debug.extend = createDebug; return debug; }\ncreateDebug.enabled = () => false;\nmodule.exports = createDebug;',
      loader: 'js',
    }));
  },
};

/** The declaration the build stamps, exactly as `src/buildInfo.ts` writes it. */
const KIND_DECLARATION = "BUILD_KIND: 'js' | 'exe' | 'source' = 'source'";

/**
 * Stamps the build: which kind of artifact it is (`buildInfo.ts`) and, for test builds, another
 * version (`version.ts`). The rest of the code is the same, byte for byte. A build whose kind
 * was not stamped would call itself `source` and refuse every remote upgrade, so the build
 * fails instead: when the declaration is not found, and when `buildInfo.ts` was never loaded.
 */
const stamp = (kind, stamped) => ({
  name: 'stamp-build',
  setup(build) {
    // Only this package's files: the protocol has a `src/version.ts` of its own.
    const own = (path) => path === join(here, 'src', 'buildInfo.ts') || path === join(here, 'src', 'version.ts');
    build.onLoad({ filter: /[\\/]src[\\/]buildInfo\.ts$/ }, async (loaded) => {
      if (!own(loaded.path)) return undefined;
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(loaded.path, 'utf8');
      if (text.split(KIND_DECLARATION).length !== 2) {
        return { errors: [{ text: `src/buildInfo.ts must declare \`${KIND_DECLARATION}\` exactly once: the build cannot stamp its kind` }] };
      }
      stamped.kind = true;
      return { contents: text.replace(KIND_DECLARATION, `BUILD_KIND: 'js' | 'exe' | 'source' = '${kind}'`), loader: 'ts' };
    });
    if (args.version === undefined) return;
    build.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, (loaded) =>
      own(loaded.path) ? { contents: `export const AGENT_VERSION = ${JSON.stringify(args.version)};`, loader: 'ts' } : undefined,
    );
  },
});

const bundle = async (outfile, kind) => {
  const stamped = { kind: false };
  const result = await build({
  entryPoints: [join(here, 'agent.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  // CommonJS: a `.js` file with no package.json beside it is CommonJS to Node 18, and Bun runs either.
  format: 'cjs',
  target: 'node18',
  external: NATIVE,
  alias: { 'readable-stream': 'stream' },
  plugins: [leaveOut, loadWhenUsed, stamp(kind, stamped)],
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  sourcemap: 'external',
  metafile: true,
  logLevel: 'warning',
  }).catch(() => {
    // esbuild has printed the errors.
    process.exit(1);
  });
  if (!stamped.kind) {
    console.error(`src/buildInfo.ts is not part of the bundle: BUILD_KIND is not stamped '${kind}'`);
    process.exit(1);
  }
  return result;
};

const out = resolve(here, args.out);
mkdirSync(dirname(out), { recursive: true });
await bundle(out, 'js');
// Inside this package (`"type": "module"`) the file would be read as a module; this marker keeps it CommonJS here too.
if (out.startsWith(`${here}/`)) writeFileSync(join(dirname(out), 'package.json'), '{ "type": "commonjs" }\n');
console.log(`built ${args.out} (${(statSync(out).size / 1024).toFixed(0)} KiB, self-contained)`);

if (args.exe) {
  // Bun compiles the same bundle, stamped `exe`, with its runtime into one file. The `bun` npm
  // package installs the binary for this machine only, so this makes a linux-x64 executable;
  // other CPUs need Bun's own binary for them (`--target=bun-linux-arm64`) or Node.js and agent.js.
  const exe = join(dirname(out), `lormas-agent-linux-${process.arch}`);
  const input = join(dirname(out), '.agent-exe.js');
  await bundle(input, 'exe');
  try {
    execFileSync(join(here, 'node_modules', 'bun', 'bin', 'bun.exe'), ['build', '--compile', '--minify', input, '--outfile', exe], { stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmSync(input, { force: true });
    rmSync(`${input}.map`, { force: true });
  }
  console.log(`built ${exe} (${(statSync(exe).size / 1024 / 1024).toFixed(1)} MiB, single executable, Bun inside)`);
}
