/**
 * `pnpm bench [--quick] [--only=2,5] [--out=file.json]`: what the agent costs, each figure
 * against the floor measured in the same run. Prints a table and writes the results as JSON
 * (`bench-results.json` at the repo root unless `--out` names another file).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpEverything } from './cleanup.js';
import { formatTable } from './table.js';
import { type BenchResult, notMeasured } from './stats.js';

const RESULTS_FILE = fileURLToPath(new URL('../bench-results.json', import.meta.url));

interface Figure {
  figure: number;
  name: string;
  run(quick: boolean): Promise<BenchResult[]>;
}

const figures: Figure[] = [
  { figure: 2, name: 'round trip', run: async (quick) => (await import('./roundTrip.js')).benchRoundTrip({ quick }) },
  { figure: 1, name: 'container lifecycle', run: async (quick) => (await import('./lifecycle.js')).benchLifecycle({ quick }) },
  { figure: 3, name: 'log throughput', run: async (quick) => (await import('./logThroughput.js')).benchLogThroughput({ quick }) },
  { figure: 4, name: 'agent memory and heartbeats', run: async (quick) => (await import('./agentMemory.js')).benchAgentMemory({ quick }) },
  { figure: 5, name: 'server per-agent cost', run: async (quick) => (await import('./hubScale.js')).benchHubScale({ quick }) },
  { figure: 6, name: 'reconnect storm', run: async (quick) => (await import('./reconnectStorm.js')).benchReconnectStorm({ quick }) },
  { figure: 7, name: 'failover overhead', run: async (quick) => (await import('./failover.js')).benchFailover({ quick }) },
  { figure: 8, name: 'the server end on three replicas', run: async (quick) => (await import('./cluster.js')).benchCluster({ quick }) },
];

function parseArgs(argv: string[]) {
  const quick = argv.includes('--quick');
  const valueOf = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = valueOf('only')?.split(',').map(Number);
  const out = valueOf('out') ?? RESULTS_FILE;
  const unknown = argv.find((a) => a !== '--quick' && !/^--(only|out)=./.test(a));
  if (unknown) throw new TypeError(`bench: unknown argument ${unknown} (use --quick, --only=1,2, --out=file.json)`);
  return { quick, only, out };
}

async function main(): Promise<void> {
  const { quick, only, out } = parseArgs(process.argv.slice(2));
  const interrupted = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
    void cleanUpEverything().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const started = performance.now();
  const results: BenchResult[] = [];
  for (const figure of figures) {
    if (only && !only.includes(figure.figure)) continue;
    const figureStart = performance.now();
    process.stderr.write(`bench: figure ${figure.figure} (${figure.name})${quick ? ' --quick' : ''}...\n`);
    try {
      // Every line names its figure number first, whoever wrote the figure.
      const prefix = `${figure.figure}. `;
      results.push(...(await figure.run(quick)).map((r) => (r.name.startsWith(prefix) ? r : { ...r, name: prefix + r.name })));
    } catch (error) {
      results.push(notMeasured(`${figure.figure}. ${figure.name}`, '-', `failed: ${(error as Error).stack ?? String(error)}`.slice(0, 600)));
    }
    process.stderr.write(`bench: figure ${figure.figure} took ${((performance.now() - figureStart) / 1000).toFixed(1)} s\n`);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const report = {
    quick,
    finishedAt: new Date().toISOString(),
    wallSeconds: Number(wallSeconds.toFixed(1)),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
    },
    results,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${formatTable(results)}\n\nwall time ${wallSeconds.toFixed(1)} s on ${report.machine.cpus} x ${report.machine.cpuModel}; written to ${relative(process.cwd(), out)}\n`);
}

await main();
