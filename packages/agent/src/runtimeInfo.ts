declare const Bun: { version: string } | undefined;

/** The JavaScript runtime the agent runs on, as `hello` reports it. */
export function runtimeInfo(): { name: 'node' | 'bun'; version: string } {
  if (typeof Bun !== 'undefined') return { name: 'bun', version: Bun.version };
  return { name: 'node', version: process.versions.node };
}
