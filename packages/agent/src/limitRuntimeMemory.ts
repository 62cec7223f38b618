import { setFlagsFromString } from 'node:v8';

/**
 * On Node, stops V8 from growing its young generation past its first size (1 MiB a
 * semi-space), for the life of the process.
 *
 * V8 doubles its young generation whenever many young objects survive a scavenge, up to
 * 16 MiB a semi-space. Ten log streams to a slow reader keep chunks alive across awaits, so the
 * young generation grew to 28 MiB resident and stayed there: the agent at 107 MiB against
 * 59 MiB idle. With growth off it stays at 2 MiB, and the same floods hold the agent at about
 * 75 MiB (measured with `pnpm bench --only=4`; the README's performance section has the
 * figures). The cost is more, smaller scavenges.
 *
 * Set from the code, not the command line, so every way of starting the agent on Node applies
 * it (`node dist/agent.js`, `npx tsx agent.ts`, the systemd unit). The growth factor is read
 * whenever V8 considers growing, so setting it at start-up works; the semi-space size flags are
 * read only when the heap is set up, and would not. Bun runs JavaScriptCore, where V8 flags mean
 * nothing (and a periodic full collection there saved about 1 MiB: not worth a timer).
 */
export function limitRuntimeMemory(): void {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') return;
  setFlagsFromString('--semi-space-growth-factor=1');
}
