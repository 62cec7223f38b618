// Builds the dashboard into dist/: one JavaScript bundle and one stylesheet, named by their
// content hash (so the server can let browsers cache them for good), and index.html
// pointing at them. Prints each file's size, raw and gzipped. No network: esbuild only.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [join(here, 'src/main.ts'), join(here, 'static/dashboard.css')],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const js = outputs.find((file) => file.endsWith('.js'));
const css = outputs.find((file) => file.endsWith('.css'));
const html = readFileSync(join(here, 'static/index.html'), 'utf8').replace('{{JS}}', basename(js)).replace('{{CSS}}', basename(css));
writeFileSync(join(dist, 'index.html'), html);

const sizes = {};
for (const file of [js, css, join(dist, 'index.html')]) {
  const body = readFileSync(file);
  sizes[basename(file).replace(/-[A-Z0-9]{8}\./, '.')] = { bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
}
writeFileSync(join(dist, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
for (const [name, { bytes, gzipBytes }] of Object.entries(sizes)) {
  process.stdout.write(`dashboard: ${name} ${(bytes / 1024).toFixed(1)} KiB, ${(gzipBytes / 1024).toFixed(1)} KiB gzip\n`);
}
