import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import { agentCommand, type AgentRuntime, bareRuntimeCommand, settleRuntimeFile, startAgentUnderTest } from './agentUnderTest.js';
import { trackChild } from './cleanup.js';
import { MiB, sampleRss } from './proc.js';
import { type BenchResult, median, round } from './stats.js';

const AGENT_DIR = fileURLToPath(new URL('../packages/agent/', import.meta.url));
/** superjson is the protocol's dependency, not the agent's: the steps find it where the agent file's bundle does. */
const PROTOCOL_MODULES = fileURLToPath(new URL('../packages/protocol/node_modules/', import.meta.url));

/** One step of the breakdown: a program that loads part of what the agent loads, and idles. */
interface Step {
  name: string;
  /** The entry's source, bundled from the agent's folder as the agent file is. */
  source: string;
}

const KEEP = 'globalThis.kept = kept; setInterval(() => {}, 1000);';

const STEPS: Step[] = [
  { name: 'zod', source: `import * as z from 'zod'; const kept = [z.string()]; ${KEEP}` },
  { name: '+ ws, dockerode, superjson', source: `import * as z from 'zod'; import { WebSocket } from 'ws'; import Docker from 'dockerode'; import superjson from 'superjson'; const kept = [z.string(), WebSocket, new Docker(), superjson]; ${KEEP}` },
  {
    // The contract's schemas are built on first use: loading it builds none of them.
    name: '+ the contract (no schema built)',
    source: `import { WebSocket } from 'ws'; import Docker from 'dockerode'; import superjson from 'superjson'; import { agentContract } from '@lormas/protocol'; const kept = [WebSocket, new Docker(), superjson, agentContract]; ${KEEP}`,
  },
  {
    // On Node, building them all at once is this program's first full collection, which maps in
    // about 3.7 MiB of the runtime's own code (shared, from the node binary, /proc/PID/smaps):
    // the agent maps it too, at its first full collection. The schemas themselves add about
    // 2 MiB of anonymous memory.
    name: '+ every schema of the contract built',
    source: `import { WebSocket } from 'ws'; import Docker from 'dockerode'; import superjson from 'superjson'; import { agentContract, flattenContract } from '@lormas/protocol'; const kept = [WebSocket, new Docker(), superjson, agentContract, [...flattenContract(agentContract).values()].map((p) => [p.input, p.kind === 'subscription' ? p.item : p.output])]; ${KEEP}`,
  },
];

/**
 * Where the agent's memory goes on `runtime`: the RSS of programs that load, step by step,
 * what the agent file loads (bundled the same way, then idling), then the agent itself,
 * connected with no containers. Each row's value is the step's RSS; its baseline the bare
 * runtime's, so the differences between rows are what each step adds.
 */
export async function memoryBreakdown(runtime: Exclude<AgentRuntime, 'tsx'>): Promise<BenchResult[]> {
  const folder = mkdtempSync(join(tmpdir(), 'lormas-bench-memory-'));
  try {
    const bare = await idleRss(bareRuntimeCommand(runtime));
    const rows: BenchResult[] = [];
    for (const [i, step] of STEPS.entries()) {
      const file = join(folder, `step-${i}.js`);
      await esbuild.build({
        stdin: { contents: step.source, resolveDir: AGENT_DIR, loader: 'ts' },
        outfile: file,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        external: ['bufferutil', 'utf-8-validate', 'cpu-features', '*.node'],
        alias: { 'readable-stream': 'stream' },
        nodePaths: [PROTOCOL_MODULES],
        logLevel: 'silent',
        // The same modules the agent file leaves out, so each step loads no more than the agent does.
        plugins: [
          {
            name: 'leave-out-unused',
            setup(b: esbuild.PluginBuild) {
              b.onResolve({ filter: /^(\.\/(session|buildkit|ssh)|tar-fs|@balena\/dockerignore)$/ }, (args: esbuild.OnResolveArgs) =>
                /dockerode[\\/]lib[\\/](docker|util)\.js$|docker-modem[\\/]lib[\\/]modem\.js$/.test(args.importer) ? { path: args.path, namespace: 'left-out' } : undefined,
              );
              b.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({ contents: 'module.exports = function leftOut() {};', loader: 'js' }));
            },
          },
        ],
      });
      rows.push(row(runtime, step.name, await idleRss([bareRuntimeCommand(runtime)[0]!, file]), bare, `a program that loads ${step.name.replace(/^\+ /, 'zod, and ')} as the agent file bundles them, and idles`));
    }
    const under = await startAgentUnderTest(`bench-breakdown-${runtime}`, { runtime, settle: true });
    try {
      await delay(2_000);
      rows.push(row(runtime, 'the agent, connected, no containers', median(await sampleRss(under.pid, 6)), bare, `the agent file (${agentCommand(runtime).slice(1).join(' ')}) connected to a loopback server end, idle`));
    } finally {
      await under.close();
    }
    return rows;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function row(runtime: 'node' | 'bun', step: string, rss: number, bare: number, workload: string): BenchResult {
  return {
    name: `4. where the memory goes (${runtime}): ${step}`,
    runtime,
    value: round(rss / MiB, 4),
    unit: 'MiB',
    baseline: round(bare / MiB, 4),
    ratio: round(rss / bare, 3),
    workload,
    median: round(rss / MiB, 4),
    p99: null,
    rounds: 6,
    notes: `${round((rss - bare) / MiB, 3)} MiB over the bare runtime`,
  };
}

async function idleRss(command: string[]): Promise<number> {
  const [program, ...args] = command;
  settleRuntimeFile(program!);
  const child = trackChild(spawn(program!, args, { stdio: 'ignore', cwd: tmpdir() }));
  try {
    await delay(1_500);
    return median(await sampleRss(child.pid!, 6));
  } finally {
    child.kill('SIGKILL');
  }
}
