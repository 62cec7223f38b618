// Bundles the agent into dist/agent.js: our own code and @lormas/protocol (a dev dependency) inlined,
// npm dependencies left as imports, so `node dist/agent.js` needs only this package's
// production dependencies. Target Node 18, the oldest runtime the README promises.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const external = Object.keys(pkg.dependencies);

await build({
  entryPoints: ['agent.ts'],
  outfile: 'dist/agent.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  external,
  sourcemap: true,
  logLevel: 'warning',
});
console.log('built dist/agent.js');
