#!/usr/bin/env node
// Entry point: `bun run agent.ts`, `npx tsx agent.ts`, or built as `node dist/agent.js`.
import { main } from './src/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lormas-agent: fatal: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
