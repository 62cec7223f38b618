import { setFlagsFromString } from 'node:v8';

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
 * On Node, stops V8 from growing its young generation past its first size (1 MiB a
 * semi-space), and collects the old generation sooner (see `OLD_GENERATION_GROWTH_PERCENT`),
 * for the life of the process.
 *
 * V8 doubles its young generation whenever many young objects survive a scavenge, up to
 * 16 MiB a semi-space. Ten log streams to a slow reader keep chunks alive across awaits, so the
 * young generation grew to 28 MiB resident and stayed there: the agent at 107 MiB against
 * 59 MiB idle. With growth off it stays at 2 MiB, and the same floods hold the agent at about
 * 75 MiB (measured with `pnpm bench --only=4`; the README's performance section has the
 * figures). The cost is more, smaller scavenges.
 *
 * Set from the code, not the command line, so every way of starting the agent on Node applies
 * it (`node dist/agent.js`, `npx tsx agent.ts`, the systemd unit). Both flags are read
 * whenever V8 sizes a generation after a collection, so setting them at start-up works; the
 * semi-space size flags are read only when the heap is set up, and would not. Bun runs
 * JavaScriptCore, where V8 flags mean nothing (and a periodic full collection there saved
 * about 1 MiB: not worth a timer).
 */
export function limitRuntimeMemory(): void {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
}
