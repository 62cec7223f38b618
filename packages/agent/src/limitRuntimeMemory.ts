import { setFlagsFromString } from 'node:v8';
import { BUILD_KIND } from './buildInfo.js';
import { holdOptimisingCompiler } from './optimisingCompiler.js';

/**
 * How much V8 lets the old generation grow past what the last full collection kept before
 * it collects again: 50 %, where V8 otherwise picks up to 300 % for a heap as small as the
 * agent's.
 *
 * Behind a slow reader every byte of log passes through the agent more slowly than young
 * collections come round: engine reads, lines, chunks and frames wait their turn for the
 * link's window and are promoted, then die in the old generation, with the frames' buffers
 * outside the heap. They are garbage, not data held: after a full collection the heap and
 * the buffers are back near idle. But V8 let that garbage reach about 15 MiB of heap and
 * 15 MiB of buffers before collecting it: ten floods to a 1 MiB/s reader peaked at +37 MiB
 * over idle. With 50 % the same floods peak at +17 MiB (issue 16, measured with the agent
 * file, 30 s, single runs: 20 % gave +18, 50 % +17), for the same CPU: each full collection
 * of a 12 MiB heap takes a few milliseconds. Idle memory does not change.
 */
const OLD_GENERATION_GROWTH_PERCENT = 50;

/**
 * JavaScriptCore's JIT tier-up thresholds for the agent on Bun: 40 times the defaults for
 * the baseline JIT (500), 200 times for the optimising tiers (1,000).
 *
 * An idle agent runs a little code often (heartbeats, the engine's events, the inventory);
 * at JSC's normal thresholds all of it, and the start-up code, ends up compiled, and the
 * compiled code, its profiles and the compilers' pages of the Bun binary stay resident. With
 * these thresholds that code stays in the interpreter, while a log flood's hot path still
 * crosses them within moments. Measured with 50 managed containers (`pnpm bench --only=4`,
 * the README has the figures): idle 54 to 62 MiB (with bare `bun` itself at 23 to 30 MiB in the same runs) against 70 to 74 MiB. Also measured:
 * the JIT off (`useJIT=0`): 54 MiB, but six times the CPU per MB of log (238 against 40
 * ms/MB); the optimising tiers off: 65 MiB; `--smol`, a smaller `largeHeapSize`, concurrent
 * GC off: no change; `Bun.unsafe.setJITPolicy` called at start: 67 MiB, as the runtime's own
 * start-up has run by then.
 */
export const BUN_JSC_OPTIONS: Readonly<Record<string, string>> = {
  BUN_JSC_thresholdForJITAfterWarmUp: '20000',
  BUN_JSC_thresholdForJITSoon: '20000',
  BUN_JSC_thresholdForOptimizeAfterWarmUp: '200000',
  BUN_JSC_thresholdForOptimizeSoon: '200000',
};

/** How the process was started, and the call that replaces it: what `restartWithRuntimeOptions` reads. */
export interface ProcessImage {
  /** Whether this is Bun (JavaScriptCore) rather than Node (V8). */
  bun: boolean;
  env: NodeJS.ProcessEnv;
  execPath: string;
  execArgv: string[];
  argv: string[];
  kind: typeof BUILD_KIND;
  /** `process.execve` (Node 23.11+, Bun); absent on older runtimes. */
  execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never;
}

/**
 * The command that runs this agent again with `BUN_JSC_OPTIONS`, or null when nothing needs
 * to change: not Bun, or every option is in the environment already (set by the operator, who
 * wins, or by an earlier start: no loop). The single executable's `argv[1]` is its own
 * embedded entry, which it must not be given again.
 */
export function runtimeOptionsCommand(image: Omit<ProcessImage, 'execve'>): { file: string; args: string[]; env: NodeJS.ProcessEnv } | null {
  if (!image.bun) return null;
  const missing = Object.keys(BUN_JSC_OPTIONS).filter((name) => image.env[name] === undefined);
  if (missing.length === 0) return null;
  const env = { ...image.env };
  for (const name of missing) env[name] = BUN_JSC_OPTIONS[name];
  const args = image.kind === 'exe' ? [image.execPath, ...image.execArgv, ...image.argv.slice(2)] : [image.execPath, ...image.execArgv, ...image.argv.slice(1)];
  return { file: image.execPath, args, env };
}

/**
 * Applies the agent's memory settings to the runtime it runs on, for the life of the
 * process. Called first thing by the entry (`agent.ts`), so every way of starting the agent
 * applies them (`node dist/agent.js`, `bun dist/agent.js`, `bun run agent.ts`, `npx tsx
 * agent.ts`, the launcher and its child, the single executable, the systemd unit).
 *
 * On Node, collects the old generation sooner (see `OLD_GENERATION_GROWTH_PERCENT`) and stops
 * V8 from growing its young generation past its first size (1 MiB a semi-space). V8 doubles its young generation whenever many young objects survive a
 * scavenge, up to 16 MiB a semi-space. Ten log streams to a slow reader keep chunks alive
 * across awaits, so the young generation grew to 28 MiB resident and stayed there: the agent
 * at 107 MiB against 59 MiB idle. With growth off it stays at 2 MiB, and the same floods hold
 * the agent at about 75 MiB. The cost is more, smaller scavenges. Both flags are read
 * whenever V8 sizes a generation after a collection, so setting them at start-up works; the
 * semi-space size flags are read only when the heap is set up, and would not. It also holds
 * V8's optimising compilers back until the agent is busy (`optimisingCompiler.ts`).
 *
 * Measured and not set (issue 16; the agent file on Node 20, 50 managed containers, idle RSS
 * over bare `node` in the same run, 2 runs each, variants interleaved): V8's background
 * threads are what the idle agent pays for beyond the runtime's own pages. Its four platform
 * workers each malloc in a glibc arena of their own (about 4 MiB resident in all, where bare
 * `node` has none), and the code they run stays mapped. Started with `--single-threaded` the
 * agent idled at +14.5 and +14.9 MiB against +21.8 and +22.3 (a later pair: +18.2 and +17.5
 * against +22.1 and +22.3); `--v8-pool-size=1`, one worker instead of four, +19.9 and +16.4,
 * then +19.1 and +16.5, in the same runs; `--no-concurrent-recompilation`
 * with `--single-threaded-gc` +18.0 and +14.8 against +20.9 and +20.7;
 * `--no-concurrent-recompilation` alone +18.8 and +18.7; `--single-threaded-gc` alone no
 * change. But V8 decides whether to start those threads when the isolate is created: set here
 * through `setFlagsFromString`, the same flags changed nothing (single runs: the pair +22.1
 * and recompilation alone +22.3 against +20.9 in the same round, `--single-threaded` +21.4), and
 * Node 20 allows none of them in `NODE_OPTIONS` (and has no `process.execve` to restart with
 * them). `--v8-pool-size` is a start-up flag too: the unit's `NODE_OPTIONS` could carry it, a
 * start by hand (`node agent.js`) would not, and what it costs in collection pauses and CPU per
 * MB of log is not measured. A libuv pool of one thread instead of four
 * (`UV_THREADPOOL_SIZE=1` in the environment: 8 threads instead of 11) changed nothing
 * (+22.1, +22.3): the pool's threads malloc little.
 *
 * On Bun, JSC reads its options (`BUN_JSC_*` in the environment) only as the process starts,
 * so the agent replaces itself (`execve`: the same process id, nothing left behind for a
 * service manager to watch) with the same command and `BUN_JSC_OPTIONS` added. A Bun without
 * `execve`, or an exec that fails, runs on as it is: more memory, nothing broken.
 */
export function limitRuntimeMemory(image: ProcessImage = currentProcess()): void {
  if (!image.bun) {
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
    holdOptimisingCompiler();
    return;
  }
  const command = runtimeOptionsCommand(image);
  if (!command || !image.execve) return;
  try {
    image.execve(command.file, command.args, command.env);
  } catch {
    // It returns only when the exec failed (the binary gone or unreadable under us): the agent
    // runs on at the normal JIT policy rather than not at all.
  }
}

function currentProcess(): ProcessImage {
  const execve = (process as { execve?: ProcessImage['execve'] }).execve;
  return {
    bun: typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined',
    env: process.env,
    execPath: process.execPath,
    execArgv: process.execArgv,
    argv: process.argv,
    kind: BUILD_KIND,
    ...(execve ? { execve: execve.bind(process) } : {}),
  };
}
