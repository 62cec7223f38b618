// Builds this agent as the "previous release" fixture that the mock server's wire-compatibility
// test drives against the current server: one CommonJS file with every dependency inlined
// (native add-ons left out, as they are optional), gzipped. Run it at each protocol release,
// before the contract changes:  node packages/agent/scripts/build-release-fixture.mjs 1.1
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const protocol = process.argv[2];
if (!/^\d+\.\d+$/.test(protocol ?? '')) {
  console.error('usage: build-release-fixture.mjs <protocol MAJOR.MINOR>');
  process.exit(2);
}
const root = new URL('..', import.meta.url);
const result = await build({
  entryPoints: [fileURLToPath(new URL('agent.ts', root))],
  write: false,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  minify: true,
  legalComments: 'none',
  external: ['*.node', 'bufferutil', 'utf-8-validate', 'cpu-features'],
  logLevel: 'warning',
});
const out = new URL(`../../mock-server/test/fixtures/agent-protocol-${protocol}.cjs.gz`, import.meta.url);
writeFileSync(out, gzipSync(result.outputFiles[0].contents, { level: 9 }));
console.log(`wrote ${fileURLToPath(out)}`);
