#!/usr/bin/env node
// The seed's legacy entry (`node agent.js`, `bun run agent.js`): runs the built agent.
// Build it first with `bun run build` or `pnpm build`.
import('./dist/agent.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('lormas-agent: dist/agent.js is missing; run `bun run build` (or `npm run build`) first\n');
    process.exit(2);
  }
  throw error;
});
