import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contractJsonSchema } from '../src/jsonSchema.js';

const out = resolve(dirname(fileURLToPath(import.meta.url)), '..', process.argv[2] ?? 'schema/protocol.schema.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(contractJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
