import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AgentError, compareAgentVersions, PROTOCOL_VERSION, protocolMajor, type ReleaseManifest, type UpgradeAgentInput, type UpgradeAgentResult } from '@lormas/protocol';
import type { AgentConfig } from '../config.js';
import { writeLaunchRequest } from '../launcher/LaunchRequest.js';
import { BUILDS_FOLDER, readLaunchState, writeLaunchState } from '../launcher/LaunchState.js';
import { releaseFileOf } from '../launcher/verifyBuild.js';
import type { Logger } from '../logger.js';
import { downloadBuild } from '../release/downloadBuild.js';
import { ReleaseError, ReleaseRule } from '../release/ReleaseError.js';
import { verifyRelease } from '../release/verifyRelease.js';
import { serverOrigin } from '../serverHttp.js';
import { type StateDir, syncPath } from '../StateDir.js';
import type { BuildInfo } from '../buildInfo.js';

export interface AgentUpgraderOptions {
  config: Pick<AgentConfig, 'serverUrl' | 'nodeToken' | 'ca' | 'upgrades'>;
  state: StateDir;
  /** How this agent runs: only a `js` or `exe` build can be handed over to another of its kind. */
  build: BuildInfo;
  /** Whether a launcher started this agent (it hands over to the next build). */
  underLauncher: boolean;
  /** Whether that launcher takes upgrade requests in their own file (`LAUNCH_REQUESTS_VARIABLE`); one installed before reads the launch state's trial. */
  launcherTakesRequests: boolean;
  /** The running version. */
  version: string;
  logger: Logger;
  /** The answer is on its way: shut down and exit so the launcher starts the new build. */
  handOver(): void;
}

/** What `hello` says of remote upgrades on this node. */
export interface UpgradeCapabilities {
  enabled: boolean;
  releaseKey: string | null;
  allowDowngrade: boolean;
  reason?: string;
}

/**
 * `agent.upgrade`: checks a build against this node's own rules before anything runs. The
 * release key and the downgrade rule come from the root-owned configuration; the build comes
 * from the server this agent is connected to, capped in size, and is kept only when its size
 * and hash are the signed manifest's. Then it is placed beside the running build, asked for as
 * the launcher's next trial (`writeLaunchRequest`), and the agent exits to let the launcher
 * start it.
 */
export class AgentUpgrader {
  private running: { operationId: string; result: Promise<UpgradeAgentResult> } | null = null;

  constructor(private readonly options: AgentUpgraderOptions) {}

  capabilities(): UpgradeCapabilities {
    const { releaseKey, allowDowngrade } = this.options.config.upgrades;
    const common = { releaseKey: releaseKey?.fingerprint ?? null, allowDowngrade };
    const reason = !releaseKey
      ? 'no RELEASE_KEY in CONFIG_FILE, the root-owned configuration'
      : this.options.build.kind === 'source'
        ? 'the agent runs from source, not from a build'
        : !this.options.underLauncher
          ? 'the agent runs without its launcher (lormas-agent launch)'
          : null;
    return reason ? { enabled: false, ...common, reason } : { enabled: true, ...common };
  }

  upgrade(input: UpgradeAgentInput): Promise<UpgradeAgentResult> {
    if (this.running) {
      if (this.running.operationId === input.operationId) return this.running.result;
      return Promise.reject(new AgentError('CONFLICT', 'another upgrade is in progress on this node'));
    }
    // Settled after `running` is set, even when `perform` ends without waiting: a `current` answer leaves nothing running.
    const result = this.perform(input).then(
      (answer) => {
        if (answer.outcome === 'current') this.running = null;
        return answer;
      },
      (error: unknown) => {
        this.running = null;
        if (error instanceof ReleaseError) {
          this.options.logger.warn('upgrade refused', { rule: error.rule, reason: error.message });
          throw new AgentError('POLICY_DENIED', error.message, { rule: error.rule });
        }
        throw error;
      },
    );
    this.running = { operationId: input.operationId, result };
    return result;
  }

  private async perform(input: UpgradeAgentInput): Promise<UpgradeAgentResult> {
    const { config, logger, build } = this.options;
    const capabilities = this.capabilities();
    if (!capabilities.enabled) throw new ReleaseError(ReleaseRule.remoteUpgrade, `remote upgrades are off on this node: ${capabilities.reason}`);
    const manifest = verifyRelease(input.release, config.upgrades.releaseKey!);
    this.checkFits(manifest);
    const deadlineMs = config.upgrades.deadlineMs;
    if (compareAgentVersions(manifest.version, this.options.version) === 0) return { outcome: 'current', version: manifest.version, deadlineMs };
    const folder = this.options.state.folder(BUILDS_FOLDER);
    const file = `${manifest.version}-${manifest.sha256.slice(0, 12)}.${build.kind === 'exe' ? 'exe' : 'js'}`;
    const dest = path.join(folder, file);
    const url = new URL(input.path, serverOrigin(config.serverUrl));
    logger.info('downloading a signed build', { version: manifest.version, sizeBytes: manifest.sizeBytes });
    await downloadBuild({ url, token: config.nodeToken, ca: config.ca, sizeBytes: manifest.sizeBytes, sha256: manifest.sha256, dest, mode: build.kind === 'exe' ? 0o700 : 0o600 });
    const releaseFile = releaseFileOf(dest);
    writeFileSync(releaseFile, `${JSON.stringify(input.release)}\n`, { mode: 0o600 });
    // On disk, as the build is, before the request that names them: the launcher starts no build without its signature.
    await syncPath(releaseFile);
    await syncPath(folder);
    const trial = { build: { file, version: manifest.version, sha256: manifest.sha256 }, deadlineMs, requestedAt: Date.now() };
    // Its own file, never the launch state: the launcher, judging this build, may be writing that now.
    if (this.options.launcherTakesRequests) await writeLaunchRequest(this.options.state, trial);
    // A launcher installed before requests reads only the launch state; it writes that only while judging a build (the race requests close).
    else await writeLaunchState(this.options.state, { ...readLaunchState(this.options.state), trial });
    logger.info('build verified and in place; handing over to it', { version: manifest.version, deadlineMs });
    // The answer goes out first; the launcher starts the build once this process has exited.
    setTimeout(() => this.options.handOver(), 100).unref();
    return { outcome: 'handing-over', version: manifest.version, deadlineMs };
  }

  /** The build must be of this node's kind and CPU, speak this protocol's major, be small enough, and not older unless allowed. */
  private checkFits(manifest: ReleaseManifest): void {
    const { build, config, version } = this.options;
    const arch = build.kind === 'exe' ? build.arch : 'any';
    if (manifest.kind !== build.kind || manifest.arch !== arch) {
      throw new ReleaseError(ReleaseRule.platform, `the build is ${manifest.kind} for ${manifest.arch}; this node runs ${build.kind} for ${arch}`);
    }
    if (protocolMajor(manifest.protocolVersion) !== protocolMajor(PROTOCOL_VERSION)) {
      throw new ReleaseError(ReleaseRule.protocol, `the build speaks protocol ${manifest.protocolVersion}; this agent speaks ${PROTOCOL_VERSION}`);
    }
    if (manifest.sizeBytes > config.upgrades.maxBytes) {
      throw new ReleaseError(ReleaseRule.size, `the build has ${manifest.sizeBytes} bytes; MAX_UPGRADE_BYTES is ${config.upgrades.maxBytes}`);
    }
    // null: the running version has no place in semver's order, so the build cannot be shown not to be older.
    const order = compareAgentVersions(manifest.version, version);
    if ((order === null || order < 0) && !config.upgrades.allowDowngrade) {
      throw new ReleaseError(ReleaseRule.older, `the build (${manifest.version}) is older than the running one (${version}) and ALLOW_DOWNGRADE is off`);
    }
  }
}
