import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ReleaseKey } from '@lormas/protocol/release';
import { EXIT_CONFIG } from '../configError.js';
import type { Logger } from '../logger.js';
import type { StateDir } from '../StateDir.js';
import { EXIT_HANDOVER } from './handover.js';
import { LAUNCH_REQUEST_FILE, readLaunchRequest } from './LaunchRequest.js';
import { BUILDS_FOLDER, type BuildRef, type LaunchState, readLaunchState, writeLaunchState } from './LaunchState.js';
import { readReleaseFile, releaseFileOf, type SignedManifest, verifyBuild } from './verifyBuild.js';

/** A build the launcher started. */
export interface BuildProcess {
  /** Resolves when the build says it is online: its session was accepted and it reached the engine. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: string | null }>;
  kill(signal: StopSignal | 'SIGKILL'): void;
}

/** The signals the service manager stops the launcher with; each is passed on to the running build as it came. */
export type StopSignal = 'SIGTERM' | 'SIGINT';

export interface LauncherOptions {
  state: StateDir;
  /** The release key of the root-owned configuration; `null`: no remote upgrades, only the installed build runs. */
  key: ReleaseKey | null;
  /** The installed build (root's, beside its `.release.json`): the last resort. */
  installed: string;
  /** Starts a build; `handoverUntil` (epoch ms) is set for a build started in a handover. */
  start(file: string, handoverUntil: number | null): BuildProcess;
  logger: Logger;
  /** How long a stopped build has between SIGTERM and SIGKILL. @default 15_000 (milliseconds) */
  stopGraceMs?: number;
  /** @default Date.now */
  now?: () => number;
}

type Judged = { outcome: 'ready' } | { outcome: 'failed'; reason: string };

/**
 * How far a file's modification time may lag the real clock: the kernel stamps files from its
 * coarse clock, a tick behind (1 to 10 ms; 3.9 ms measured on a 250 Hz kernel), so a file
 * written just after the handover can look older than it. Pruning leaves files that recent.
 */
const FILE_CLOCK_SLACK_MS = 1_000;

/**
 * How long past its trial's deadline an upgrade request found at start-up may still be taken
 * in. The agent writes it just before it exits, and the launcher takes it at once; one found
 * at start-up was left when the node went down during the handover. By its deadline and this much more, the server
 * that asked has stopped waiting for the node (the mock server's rollout waits 30 s past the
 * deadline) and judged the upgrade failed: the node comes back on the build it ran, and an
 * upgrade nobody now waits for, perhaps one the operator has since withdrawn, does not start.
 */
export const REQUEST_LATENESS_MS = 60_000;

/**
 * Runs the agent's current build and hands over to a new one. It verifies every build it
 * starts against the release key (signature, size, SHA-256), every time. A build handed over
 * to runs on trial: it must say it is online within the deadline the agent wrote, judged here
 * on the node; otherwise it is stopped and the build that ran before starts again, by itself.
 * That fallback is no downgrade: it runs what ran before. The launcher's own code is the
 * installed build's, root's: no upgrade changes it.
 *
 * It is the only writer of the launch state. The agent asks for a handover in its own file
 * (`LaunchRequest.ts`), which is taken in only while no agent runs: at start-up and after the
 * agent exits. So no read-then-write of one process can straddle a write of the other.
 */
export class Launcher {
  private stopping = false;
  /** Aborted by `stop`: ends a verification in progress, so a stop never waits for a build to be hashed. */
  private readonly stopped = new AbortController();
  /** The build that runs now, on trial or not: a signal reaches it whatever the launcher is doing. */
  private child: BuildProcess | null = null;
  private fallbackUntil: number | null = null;
  private readonly now: () => number;

  constructor(private readonly options: LauncherOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs builds until one exits for another reason than a handover, or `stop`. Resolves with the
   * exit status: the build's, 0 after a stop, or `EXIT_CONFIG` when no build verifies (a
   * restart cannot mend that: the release key or the installed build must change).
   */
  async run(): Promise<number> {
    for (let atStart = true; ; atStart = false) {
      if (this.stopping) return 0;
      const state = await this.takeRequest(atStart);
      let child: BuildProcess | null = null;
      if (state.trial) child = await this.runTrial(state);
      if (!child && !this.stopping) child = await this.startVerified(readLaunchState(this.options.state));
      if (!child) return this.stopping ? 0 : EXIT_CONFIG;
      const exit = await child.exited;
      this.child = null;
      if (this.stopping) return exit.code ?? 0;
      if (exit.code === EXIT_HANDOVER) continue;
      this.options.logger.warn('the agent exited', { code: exit.code, signal: exit.signal });
      return exit.code ?? 1;
    }
  }

  /**
   * Passes `signal` on to the running build, on trial or not, and starts no other; a
   * verification in progress ends at once. `run` resolves once the build has exited. Called
   * again (a second signal), it passes that one on too.
   */
  stop(signal: StopSignal = 'SIGTERM'): void {
    this.stopping = true;
    this.stopped.abort();
    this.child?.kill(signal);
  }

  /**
   * The launch state with the agent's request taken in as its trial; the request is removed once
   * the state that holds it is on disk. Called only while no agent runs, so none writes a
   * request meanwhile. A request that is not one is refused, like a launch state that is not
   * one: logged, removed, and the state is left as it was. So is a request beside a trial not
   * yet judged (the launcher was stopped during it): that trial is judged first, and the server
   * asks again. At start-up (`atStart`), a request left from before is also dropped when it is
   * more than `REQUEST_LATENESS_MS` past its deadline, or as far ahead of the clock; one the
   * agent wrote as it exited just now is taken whatever the clock says (a drain may take long,
   * a clock may jump). Nothing here keeps a build from starting: a request that cannot be
   * removed, or a state that cannot be written, is logged, and the current build starts.
   */
  private async takeRequest(atStart: boolean): Promise<LaunchState> {
    const { state: dir, logger } = this.options;
    const state = readLaunchState(dir);
    const request = readLaunchRequest(dir);
    if (request === null) return state;
    if ('refused' in request) {
      logger.error('the upgrade request in the state folder is refused; it is removed', { file: LAUNCH_REQUEST_FILE, reason: request.refused });
      this.dropRequest();
      return state;
    }
    const ageMs = this.now() - request.trial.requestedAt;
    if (atStart && (ageMs > request.trial.deadlineMs + REQUEST_LATENESS_MS || ageMs < -REQUEST_LATENESS_MS)) {
      logger.warn('an upgrade request left from a handover long past is dropped; the server asks again if it still wants it', {
        requested: request.trial.build.version,
        ageMs,
        deadlineMs: request.trial.deadlineMs,
      });
      this.dropRequest();
      return state;
    }
    if (state.trial) {
      logger.warn('an upgrade request beside a trial not yet judged is dropped; the trial is judged first', { trial: state.trial.build.version, requested: request.trial.build.version });
      this.dropRequest();
      return state;
    }
    const next = { ...state, trial: request.trial };
    try {
      await writeLaunchState(dir, next);
    } catch (error) {
      logger.error('the launch state cannot be written; the upgrade request stays for the next start', { error: (error as Error).message });
      return state;
    }
    this.dropRequest();
    return next;
  }

  /** Removes the request, whatever is there under its name (a folder too). */
  private dropRequest(): void {
    try {
      rmSync(path.join(this.options.state.path, LAUNCH_REQUEST_FILE), { force: true, recursive: true });
    } catch (error) {
      this.options.logger.error('the upgrade request cannot be removed', { file: LAUNCH_REQUEST_FILE, error: (error as Error).message });
    }
  }

  /** Starts a build and makes it the one `stop` signals. */
  private start(file: string, handoverUntil: number | null): BuildProcess {
    const child = this.options.start(file, handoverUntil);
    this.child = child;
    return child;
  }

  private buildPath(build: BuildRef): string {
    return path.join(this.options.state.path, BUILDS_FOLDER, build.file);
  }

  /** Starts the trial build; resolves with it once it is online, or with `null` after going back. */
  private async runTrial(state: LaunchState): Promise<BuildProcess | null> {
    const trial = state.trial!;
    const { logger } = this.options;
    const file = this.buildPath(trial.build);
    let judged: Judged;
    let child: BuildProcess | null = null;
    // Compared with files' modification times, which come from the real clock, not the injected one.
    const handoverAt = Date.now();
    try {
      await this.verified(file);
      if (this.stopping) return null;
      const until = this.now() + trial.deadlineMs;
      logger.info('handing over to a new build', { version: trial.build.version, deadlineMs: trial.deadlineMs });
      child = this.start(file, until);
      judged = await this.judge(child, trial.deadlineMs);
    } catch (error) {
      judged = { outcome: 'failed', reason: `the build did not verify: ${(error as Error).message}` };
    }
    if (this.stopping) {
      // A stop is no verdict on the build: the trial stays in the launch state and is judged afresh at the next start.
      if (child) await child.exited;
      this.child = null;
      return null;
    }
    if (judged.outcome === 'ready' && child) {
      logger.info('the new build is online; it is now the current build', { version: trial.build.version });
      // The build, online, may take the next upgrade now. It asks in its own file, which stays for
      // its handover; a build from before requests writes its trial here, which is kept.
      const latest = readLaunchState(this.options.state);
      await writeLaunchState(this.options.state, {
        current: trial.build,
        previous: state.current,
        trial: latest.trial && latest.trial.build.file !== trial.build.file ? latest.trial : null,
        lastUpgrade: { version: trial.build.version, outcome: 'succeeded', at: this.now() },
      });
      this.prune(handoverAt);
      return child;
    }
    const reason = judged.outcome === 'failed' ? judged.reason : 'the build was online, but its process is gone';
    logger.error('the new build did not come online in time; going back to the build that ran before', { version: trial.build.version, reason });
    if (child) await this.stopChild(child);
    this.child = null;
    this.fallbackUntil = this.now() + trial.deadlineMs;
    // Only the failed build ran since the last request was taken in: an upgrade it asked for is not followed.
    if (readLaunchRequest(this.options.state) !== null) {
      logger.warn('the upgrade the failed build asked for is dropped', { version: trial.build.version });
      this.dropRequest();
    }
    await writeLaunchState(this.options.state, {
      ...state,
      trial: null,
      lastUpgrade: { version: trial.build.version, outcome: 'rolled-back', reason, at: this.now() },
    });
    return null;
  }

  private judge(child: BuildProcess, deadlineMs: number): Promise<Judged> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race<Judged>([
      child.ready.then(() => ({ outcome: 'ready' })),
      child.exited.then(({ code, signal }) => ({ outcome: 'failed', reason: `the build exited (${signal ?? `status ${code}`}) before it came online` })),
      new Promise<Judged>((resolve) => {
        timer = setTimeout(() => resolve({ outcome: 'failed', reason: `the build was not online within ${deadlineMs} ms` }), deadlineMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Starts the first of current, previous and installed build that verifies. */
  private async startVerified(state: LaunchState): Promise<BuildProcess | null> {
    const candidates = [state.current, state.previous].filter((b): b is BuildRef => b !== null).map((b) => this.buildPath(b));
    for (const file of [...candidates, this.options.installed]) {
      try {
        await this.verified(file);
      } catch (error) {
        if (this.stopping) return null;
        this.options.logger.error('a build did not verify; it is not started', { file, error: (error as Error).message });
        continue;
      }
      if (this.stopping) return null;
      // The build that starts after a failed trial is still in the handover's gap: fencing waits as long again.
      const until = this.fallbackUntil;
      this.fallbackUntil = null;
      return this.start(file, until);
    }
    this.options.logger.error('no build verifies, not even the installed one; reinstall the agent');
    return null;
  }

  /** Verifies a build against the release key; the installed build without a key is root's and runs as it is. */
  private async verified(file: string): Promise<void> {
    const { key } = this.options;
    if (!key) {
      if (file !== this.options.installed) throw new Error('no release key in the configuration: only the installed build runs');
      return;
    }
    const release: SignedManifest | null = readReleaseFile(file);
    if (!release) throw new Error(`${releaseFileOf(file)} is missing`);
    await verifyBuild(file, release, key, this.stopped.signal);
  }

  private async stopChild(child: BuildProcess): Promise<void> {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, this.options.stopGraceMs ?? 15_000);
    });
    await Promise.race([child.exited, killed]);
    await child.exited;
    clearTimeout(timer);
  }

  /**
   * Removes the builds (and their manifests) that the launch state names no more and that are
   * older than the handover (`handoverAt`, epoch ms). The new build runs while this runs, and
   * may already be downloading its own next upgrade into the folder (`.partial`) or have asked
   * for it in its request: the request's build is kept, and nothing written since the handover
   * began is touched (a request written after it is read here names a build downloaded since).
   */
  private prune(handoverAt: number): void {
    const folder = path.join(this.options.state.path, BUILDS_FOLDER);
    const { current, previous, trial } = readLaunchState(this.options.state);
    const request = readLaunchRequest(this.options.state);
    const requested = request && 'trial' in request ? request.trial.build : null;
    const named = [current, previous, trial?.build ?? null, requested].filter((b): b is BuildRef => b !== null);
    const kept = new Set(named.flatMap((b) => [b.file, releaseFileOf(b.file)]));
    try {
      for (const name of readdirSync(folder)) {
        if (kept.has(name)) continue;
        const file = path.join(folder, name);
        // Gone already, or changed since the handover began: not ours to remove.
        const changedAt = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
        if (changedAt !== undefined && changedAt < handoverAt - FILE_CLOCK_SLACK_MS) rmSync(file, { force: true });
      }
    } catch (error) {
      this.options.logger.warn('old builds could not be removed', { error: (error as Error).message });
    }
  }
}
