/**
 * How this agent was built: `source` when it runs from TypeScript; the build (build.mjs)
 * replaces this file with `js` for the self-contained file, `exe` for the single executable.
 */
export const BUILD_KIND: 'js' | 'exe' | 'source' = 'source';

export interface BuildInfo {
  kind: 'js' | 'exe' | 'source';
  /** The CPU, in Node's words (`x64`, `arm64`). */
  arch: string;
}

export function buildInfo(): BuildInfo {
  return { kind: BUILD_KIND, arch: process.arch };
}
