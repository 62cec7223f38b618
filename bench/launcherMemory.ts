import { createPrivateKey } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { generateReleaseKey, signBuild } from '../packages/agent/src/release/signRelease.js';
import { AGENT_VERSION } from '../packages/agent/src/version.js';
import { agentCommand, bareRuntimeCommand, bareRuntimeRss, ensureAgentBuilt, startAgentUnderTest } from './agentUnderTest.js';
import { childPids, MiB, privateBytes, rssBytes } from './proc.js';
import { type BenchResult, median, p99, ratioOf, round } from './stats.js';
import { PROTOCOL_VERSION, waitFor } from './workspace.js';

const AGENT_FILE = fileURLToPath(new URL('../packages/agent/dist/agent.js', import.meta.url));
const SAMPLES = 12;

/**
 * Figure 4's launcher row: `lormas-agent launch` idle beside the agent it started, as the
 * systemd unit runs it. The installed build is the agent file, signed with a fresh release key
 * named in a root-owned `CONFIG_FILE`, as the one-line install leaves a node, so the launcher
 * verifies it as it does there. The value is the launcher's RSS; the notes add what it holds
 * alone (its private pages: the runtime's binary is mapped by the agent beside it too, and RSS
 * counts those pages in both) and the agent's RSS beside it.
 */
export async function launcherMemory(runtime: 'node' | 'bun'): Promise<BenchResult> {
  ensureAgentBuilt();
  const folder = mkdtempSync(join(tmpdir(), 'lormas-bench-launcher-'));
  try {
    const installed = join(folder, 'agent.js');
    copyFileSync(AGENT_FILE, installed);
    const key = generateReleaseKey();
    const { release } = await signBuild(installed, { version: AGENT_VERSION, kind: 'js', arch: 'any', protocolVersion: PROTOCOL_VERSION }, createPrivateKey(key.privateKeyPem));
    writeFileSync(`${installed}.release.json`, JSON.stringify(release));
    // CONFIG_FILE must be root's: a run as another user measures the launcher without a release key.
    const asRoot = process.getuid?.() === 0;
    const configFile = join(folder, 'agent.conf');
    writeFileSync(configFile, asRoot ? `RELEASE_KEY=${key.publicKey}\n` : '', { mode: 0o640 });
    const floor = await bareRuntimeRss(runtime);
    const under = await startAgentUnderTest(`bench-launcher-${runtime}`, {
      runtime,
      settle: true,
      command: [agentCommand(runtime)[0]!, installed, 'launch'],
      env: asRoot ? { CONFIG_FILE: configFile } : {},
    });
    try {
      const agentPid = await waitFor(() => childPids(under.pid)[0] ?? null, { what: 'the launcher to start the agent', timeoutMs: 10_000 });
      await delay(3_000);
      const launcher: number[] = [];
      const alone: number[] = [];
      const agent: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        await delay(500);
        launcher.push(rssBytes(under.pid));
        alone.push(privateBytes(under.pid));
        agent.push(rssBytes(agentPid));
      }
      const mib = (bytes: number) => round(bytes / MiB, 4);
      return {
        name: `4. launcher RSS idle, beside its agent (${runtime})`,
        runtime,
        value: mib(median(launcher)),
        unit: 'MiB',
        baseline: mib(median(floor)),
        ratio: round(ratioOf(median(launcher), median(floor)), 3),
        workload: `\`${runtime} agent.js launch\` (the agent file as the installed build, signed, ${asRoot ? 'with RELEASE_KEY in a root-owned CONFIG_FILE' : 'without a release key: not run as root'}), idle beside the agent it started, connected, no containers; ${launcher.length} RSS samples after a 3 s settle`,
        median: mib(median(launcher)),
        p99: mib(p99(launcher)),
        rounds: launcher.length,
        notes:
          `floor: bare \`${bareRuntimeCommand(runtime).join(' ').replace(/^\S*\//, '')}\`; ` +
          `the launcher's private pages (what it holds alone; RSS also counts the runtime's binary, which the agent beside it maps too): ${mib(median(alone))} MiB; ` +
          `the agent beside it: ${mib(median(agent))} MiB`,
      };
    } finally {
      await under.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
