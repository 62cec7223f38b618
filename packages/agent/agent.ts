#!/usr/bin/env node
// Entry point: `bun run agent.ts`, `npx tsx agent.ts`, or built as `node dist/agent.js`.
// `launch` runs the launcher instead; each is imported only when asked for, so the launcher
// process loads none of the agent's own modules (dockerode, the link).
import { limitRuntimeMemory } from './src/limitRuntimeMemory.js';

// Before any other module is loaded: on Bun the JIT policy must be in place while the agent's
// modules initialise, or their start-up code is compiled at the normal policy (measured: the
// same call from `main` saved nothing).
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
