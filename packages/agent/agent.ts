#!/usr/bin/env node
// Entry point: `bun run agent.ts`, `npx tsx agent.ts`, or built as `node dist/agent.js`.
// `launch` runs the launcher instead; each is imported only when asked for, so the launcher
// process loads none of the agent's own modules (dockerode, the link).
import { limitRuntimeMemory } from './src/limitRuntimeMemory.js';

// First, before any other module loads: on Bun it restarts the process with JavaScriptCore's
// JIT options (read only at start) before any start-up work is done twice; on Node it limits
// V8's young generation before the modules' start-up allocates.
limitRuntimeMemory();
const argv = process.argv.slice(2);
const run: Promise<number> =
  argv[0] === 'launch' ? import('./src/launcher/launchMain.js').then(({ launchMain }) => launchMain()) : import('./src/main.js').then(({ main }) => main(argv));

run.then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lormas-agent: fatal: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
