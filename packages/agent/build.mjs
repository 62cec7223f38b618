// Bundles the agent into dist/agent.js: one self-contained file that starts with `node` 18+ or
// `bun` on a host with nothing else installed. Every dependency is inlined; there are no chunk
// files. Left out:
// - native add-ons (`bufferutil` and friends): optional speed-ups that `ws` loads if present;
// - code a dependency brings that the agent never runs: dockerode's BuildKit session support
//   and builds (gRPC and protobuf, loaded by `dockerode/lib/docker.js`), its build contexts
//   (tar-fs), and docker-modem's SSH transport (the agent speaks to `unix://` and `tcp://`
//   engines only).
// `readable-stream` (a copy of Node's streams that docker-modem loads) is Node's own `stream`.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';

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

await build({
  entryPoints: ['agent.ts'],
  outfile: 'dist/agent.js',
  bundle: true,
  platform: 'node',
  // CommonJS: a `.js` file with no package.json beside it is CommonJS to Node 18, and Bun runs either.
  format: 'cjs',
  target: 'node18',
  external: NATIVE,
  alias: { 'readable-stream': 'stream' },
  plugins: [leaveOut],
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  sourcemap: 'external',
  metafile: true,
  logLevel: 'warning',
}).then(({ metafile }) => {
  // Inside this package (`"type": "module"`) the file would be read as a module; this marker keeps it CommonJS here too.
  writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
  const bytes = metafile.outputs['dist/agent.js'].bytes;
  console.log(`built dist/agent.js (${(bytes / 1024).toFixed(0)} KiB, self-contained)`);
});
