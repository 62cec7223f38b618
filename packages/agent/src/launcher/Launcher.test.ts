import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, mkdtempSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { encodeReleaseKey, parseReleaseKey } from '@lormas/protocol';
import { EXIT_CONFIG } from '../configError.js';
import { createLogger } from '../logger.js';
import { signBuild, signManifest } from '../release/signRelease.js';
import { StateDir } from '../StateDir.js';
import { EXIT_HANDOVER } from './handover.js';
import { type BuildProcess, Launcher, REQUEST_LATENESS_MS, type StopSignal } from './Launcher.js';
import { LAUNCH_REQUEST_FILE, writeLaunchRequest } from './LaunchRequest.js';
import { BUILDS_FOLDER, LAUNCH_STATE_FILE, readLaunchState, writeLaunchState } from './LaunchState.js';
import { releaseFileOf } from './verifyBuild.js';

/** A build the test drives: it says ready, or exits, when told. */
class FakeBuild implements BuildProcess {
  readyNow!: () => void;
  exit!: (code: number | null) => void;
  readonly ready = new Promise<void>((resolve) => (this.readyNow = resolve));
  readonly exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => (this.exit = (code) => resolve({ code, signal: null })));
  readonly signals: string[] = [];
  constructor(readonly file: string) {}
  kill(signal: StopSignal | 'SIGKILL'): void {
    this.signals.push(signal);
    this.exit(null);
  }
}

describe('Launcher', () => {
  const folders: string[] = [];
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));
  async function setup() {
    const logged: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => logged.push(line) });
    const folder = mkdtempSync(path.join(tmpdir(), 'lormas-launcher-'));
    folders.push(folder);
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const key = parseReleaseKey(encodeReleaseKey(publicKey));
    const state = StateDir.open(path.join(folder, 'state'));
    const installed = path.join(folder, 'agent.js');
    await place(installed, '0.1.0', privateKey);
    const started: FakeBuild[] = [];
    const launcher = new Launcher({
      state,
      key,
      installed,
      logger,
      stopGraceMs: 50,
      start: (file) => {
        const build = new FakeBuild(file);
        started.push(build);
        return build;
      },
    });
    return { folder, state, key, privateKey, installed, launcher, started, logged };
  }

  async function place(file: string, version: string, privateKey: KeyObject, content = `// agent ${version}\n`) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    const { release } = await signBuild(file, { version, kind: 'js', arch: 'any', protocolVersion: '1.1' }, privateKey);
    writeFileSync(releaseFileOf(file), JSON.stringify(release));
  }

  /** The trial of the build `file` at `version`, as the agent writes it (a request, or a launch state's trial). */
  const trialOf = (version: string, file = `${version}-abc.js`, requestedAt = Date.now()) => ({ build: { file, version, sha256: 'a'.repeat(64) }, deadlineMs: 200, requestedAt });

  /** Runs the launcher until it has started its first build. */
  async function startFirst(s: Awaited<ReturnType<typeof setup>>) {
    const running = s.launcher.run();
    await until(() => s.started.length === 1);
    // Wrapped: an async function returning the promise itself would wait for the launcher to end.
    return { running };
  }

  /** What the running agent does to hand over to `version`: places the build and asks for it, through its own `agent` view of the state folder. */
  async function handOver(s: { state: StateDir; privateKey: KeyObject }, version: string, agent: StateDir = s.state) {
    const file = `${version}-abc.js`;
    await place(path.join(s.state.path, BUILDS_FOLDER, file), version, s.privateKey);
    await writeLaunchRequest(agent, trialOf(version, file));
  }

  /**
   * Runs `before` when `dir` is next asked to write (`name` only, when given): after whatever
   * the writer read, before its write lands. Resolves once that write has landed. This is how
   * the tests put one process's write between the other's read and write, without timing.
   */
  function beforeNextWrite(dir: StateDir, before: () => Promise<void>, name?: string): Promise<void> {
    const write = dir.write.bind(dir);
    return new Promise((landed, failed) => {
      dir.write = async (file, value, options) => {
        if (name !== undefined && file !== name) return write(file, value, options);
        dir.write = write;
        try {
          await before();
          await write(file, value, options);
          landed();
        } catch (error) {
          failed(error);
          throw error;
        }
      };
    });
  }

  /** Runs the launcher on the installed build, then has that build hand over to `version`. */
  async function runAndHandOver(s: Awaited<ReturnType<typeof setup>>, version: string) {
    const { running } = await startFirst(s);
    await handOver(s, version);
    // Wrapped: an async function returning the promise itself would wait for the launcher to end.
    return { running };
  }

  /** Runs the launcher until the build of `version`, handed over to by the installed one, runs on trial. */
  async function runOnTrial(s: Awaited<ReturnType<typeof setup>>, version: string) {
    const { running } = await runAndHandOver(s, version);
    s.started[0]!.exit(EXIT_HANDOVER);
    await until(() => s.started.length === 2);
    return { running };
  }

  /** 0.2.0, current, hands over to the 0.3.0 it asked for: the launcher starts it, and makes it current with 0.2.0 before it. */
  async function handsOverTo030(s: Awaited<ReturnType<typeof setup>>, running: Promise<number>) {
    s.started[1]!.exit(EXIT_HANDOVER);
    await until(() => s.started.length === 3);
    assert.match(s.started[2]!.file, /0\.3\.0-abc\.js$/, 'the trial 0.2.0 asked for was lost');
    s.started[2]!.readyNow();
    await until(() => readLaunchState(s.state).current?.version === '0.3.0');
    assert.equal(readLaunchState(s.state).previous?.version, '0.2.0', 'the build that ran before 0.3.0 is not 0.2.0');
    s.launcher.stop();
    assert.equal(await running, 0);
  }

  const until = async (predicate: () => boolean) => {
    for (let i = 0; i < 200 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(predicate(), 'the launcher did not get there');
  };

  it('starts the installed build when there is no other, and exits with its status', async () => {
    const s = await setup();
    const { running } = await startFirst(s);
    assert.equal(s.started[0]!.file, s.installed);
    s.started[0]!.exit(1);
    assert.equal(await running, 1);
  });

  it('hands over to a new build that comes online in time, and makes it current', async () => {
    const s = await setup();
    const { running } = await runOnTrial(s, '0.2.0');
    s.started[1]!.readyNow();
    await until(() => readLaunchState(s.state).current?.version === '0.2.0');
    assert.equal(readLaunchState(s.state).lastUpgrade?.outcome, 'succeeded');
    s.launcher.stop();
    assert.equal(await running, 0);
  });

  it('keeps the next trial that the new build, already online, wrote before the verdict on its own, and hands over to it', async () => {
    const s = await setup();
    const { running } = await runOnTrial(s, '0.2.0');
    await handOver(s, '0.3.0');
    s.started[1]!.readyNow();
    await until(() => readLaunchState(s.state).current?.version === '0.2.0');
    assert.equal(readLaunchState(s.state).trial, null);
    assert.equal(existsSync(path.join(s.state.path, LAUNCH_REQUEST_FILE)), true, 'the request for 0.3.0 was not kept for the handover');
    await handsOverTo030(s, running);
  });

  it('keeps the trial the new build asks for while the launcher, judging that build, is between reading and writing the launch state', async () => {
    const s = await setup();
    const { running } = await runOnTrial(s, '0.2.0');
    // The agent's own view of the folder, as its process opens it.
    const agent = StateDir.open(s.state.path);
    const verdict = beforeNextWrite(s.state, () => handOver(s, '0.3.0', agent), LAUNCH_STATE_FILE);
    s.started[1]!.readyNow();
    await verdict;
    await handsOverTo030(s, running);
  });

  it('keeps its verdict on the new build when the trial that build asks for lands after the verdict, from what it read before', async () => {
    const s = await setup();
    const { running } = await runOnTrial(s, '0.2.0');
    const agent = StateDir.open(s.state.path);
    const verdict = beforeNextWrite(s.state, async () => {}, LAUNCH_STATE_FILE);
    // Whatever the agent has read by now, its write waits for the launcher's verdict to land.
    const asked = beforeNextWrite(agent, async () => {
      s.started[1]!.readyNow();
      await verdict;
    });
    await handOver(s, '0.3.0', agent);
    await asked;
    const state = readLaunchState(s.state);
    assert.deepEqual([state.current?.version, state.previous, state.lastUpgrade?.version, state.lastUpgrade?.outcome], ['0.2.0', null, '0.2.0', 'succeeded']);
    await handsOverTo030(s, running);
  });

  it('keeps the next trial that a new build from before requests wrote in the launch state before the verdict, and hands over to it', async () => {
    const s = await setup();
    const { running } = await runOnTrial(s, '0.2.0');
    // A build from before requests (started by this launcher, it ignores LORMAS_LAUNCH_REQUESTS) writes its trial in the launch state.
    const file = '0.3.0-abc.js';
    await place(path.join(s.state.path, BUILDS_FOLDER, file), '0.3.0', s.privateKey);
    await writeLaunchState(s.state, { ...readLaunchState(s.state), trial: trialOf('0.3.0', file) });
    s.started[1]!.readyNow();
    await until(() => readLaunchState(s.state).current?.version === '0.2.0');
    assert.equal(readLaunchState(s.state).trial?.build.version, '0.3.0', 'the verdict erased the trial 0.2.0 wrote');
    await handsOverTo030(s, running);
  });

  it('judges a trial left when it was stopped before a request beside it, which is dropped (the server asks again)', async () => {
    const s = await setup();
    const file = '0.2.0-abc.js';
    await place(path.join(s.state.path, BUILDS_FOLDER, file), '0.2.0', s.privateKey);
    await writeLaunchState(s.state, { current: null, previous: null, trial: trialOf('0.2.0', file), lastUpgrade: null });
    await handOver(s, '0.3.0');
    const { running } = await startFirst(s);
    assert.match(s.started[0]!.file, /0\.2\.0-abc\.js$/);
    assert.equal(existsSync(path.join(s.state.path, LAUNCH_REQUEST_FILE)), false);
    assert.ok(s.logged.some((line) => line.includes('request beside a trial')));
    s.launcher.stop();
    await running;
  });

  it('starts the current build, keeping the request for its next start, when the launch state cannot be written', async () => {
    const s = await setup();
    await handOver(s, '0.2.0');
    const failing = beforeNextWrite(s.state, async () => Promise.reject(new Error('no space left on device')), LAUNCH_STATE_FILE);
    failing.catch(() => {});
    const { running } = await startFirst(s);
    assert.equal(s.started[0]!.file, s.installed);
    assert.equal(existsSync(path.join(s.state.path, LAUNCH_REQUEST_FILE)), true);
    assert.ok(s.logged.some((line) => line.includes('cannot be written')));
    s.launcher.stop();
    await running;
  });

  it('takes in at start-up a request left when it last stopped, and removes it once the launch state holds it', async () => {
    const s = await setup();
    await handOver(s, '0.2.0');
    const { running } = await startFirst(s);
    assert.match(s.started[0]!.file, /0\.2\.0-abc\.js$/);
    assert.equal(readLaunchState(s.state).trial?.build.version, '0.2.0');
    assert.equal(existsSync(path.join(s.state.path, LAUNCH_REQUEST_FILE)), false);
    s.launcher.stop();
    await running;
  });

  it('drops at start-up a request left from a handover long past, or dated far ahead, and starts the current build', async () => {
    for (const [lateMs, taken] of [
      [REQUEST_LATENESS_MS - 5_000, true],
      [REQUEST_LATENESS_MS + 5_000, false],
      [-200 - REQUEST_LATENESS_MS + 5_000, true],
      [-200 - REQUEST_LATENESS_MS - 5_000, false],
    ] as const) {
      const s = await setup();
      const file = '0.2.0-abc.js';
      await place(path.join(s.state.path, BUILDS_FOLDER, file), '0.2.0', s.privateKey);
      const trial = trialOf('0.2.0', file, Date.now() - 200 - lateMs);
      await writeLaunchRequest(s.state, trial);
      const { running } = await startFirst(s);
      assert.equal(existsSync(path.join(s.state.path, LAUNCH_REQUEST_FILE)), false);
      if (taken) {
        assert.match(s.started[0]!.file, /0\.2\.0-abc\.js$/, `a request ${lateMs} ms late is taken`);
      } else {
        assert.equal(s.started[0]!.file, s.installed, `a request ${lateMs} ms late is dropped`);
        assert.equal(readLaunchState(s.state).trial, null);
        assert.ok(s.logged.some((line) => line.includes('long past')));
      }
      s.launcher.stop();
      await running;
    }
  });

  it('takes the request of the agent that exits for it however old it looks: its drain may be long, the clock may jump', async () => {
    const s = await setup();
    const { running } = await startFirst(s);
    const file = '0.2.0-abc.js';
    await place(path.join(s.state.path, BUILDS_FOLDER, file), '0.2.0', s.privateKey);
    await writeLaunchRequest(s.state, trialOf('0.2.0', file, Date.now() - 10 * REQUEST_LATENESS_MS));
    s.started[0]!.exit(EXIT_HANDOVER);
    await until(() => s.started.length === 2);
    assert.match(s.started[1]!.file, /0\.2\.0-abc\.js$/);
    s.launcher.stop();
    await running;
  });

  it('drops the upgrade a build on trial asked for when that build is rolled back', async () => {
    const s = await setup();
    const { running } = await runOnTrial(s, '0.2.0');
    await handOver(s, '0.3.0');
    s.started[1]!.exit(EXIT_HANDOVER);
    await until(() => s.started.length === 3);
    assert.equal(s.started[2]!.file, s.installed);
    const state = readLaunchState(s.state);
    assert.deepEqual([state.trial, state.lastUpgrade?.version, state.lastUpgrade?.outcome], [null, '0.2.0', 'rolled-back']);
    assert.equal(existsSync(path.join(s.state.path, LAUNCH_REQUEST_FILE)), false);
    // The installed build exits as if handing over: with no request of its own, it is started again.
    s.started[2]!.exit(EXIT_HANDOVER);
    await until(() => s.started.length === 4);
    assert.equal(s.started[3]!.file, s.installed);
    s.launcher.stop();
    await running;
  });

  it('refuses a request that is not one, as a launch state that is not one: logged, removed, the current build started', async () => {
    const valid = trialOf('0.2.0');
    const hostile: [string, (file: string) => void][] = [
      ['not JSON', (file) => writeFileSync(file, '{')],
      ['a list', (file) => writeFileSync(file, '[]')],
      ['a build outside the builds folder', (file) => writeFileSync(file, JSON.stringify({ ...valid, build: { ...valid.build, file: '../../agent.js' } }))],
      ['a hash that is not one', (file) => writeFileSync(file, JSON.stringify({ ...valid, build: { ...valid.build, sha256: 'A'.repeat(64) } }))],
      ['a deadline no timer holds', (file) => writeFileSync(file, JSON.stringify({ ...valid, deadlineMs: 2 ** 31 }))],
      ['more than 4,096 bytes', (file) => writeFileSync(file, JSON.stringify({ ...valid, padding: 'x'.repeat(4_096) }))],
      ['a folder', (file) => mkdirSync(path.join(file, 'inside'), { recursive: true })],
      ['a link to a request elsewhere', (file) => {
        writeFileSync(`${file}.elsewhere`, JSON.stringify(valid));
        symlinkSync(`${file}.elsewhere`, file);
      }],
    ];
    for (const [what, write] of hostile) {
      const s = await setup();
      await place(path.join(s.state.path, BUILDS_FOLDER, valid.build.file), '0.2.0', s.privateKey);
      write(path.join(s.state.path, LAUNCH_REQUEST_FILE));
      const running = s.launcher.run();
      await until(() => s.started.length === 1);
      assert.equal(s.started[0]!.file, s.installed, what);
      assert.equal(readLaunchState(s.state).trial, null, what);
      assert.equal(existsSync(path.join(s.state.path, LAUNCH_REQUEST_FILE)), false, what);
      assert.ok(s.logged.some((line) => line.includes('request') && line.includes('refused')), what);
      s.launcher.stop();
      await running;
    }
  });

  it('goes back to the build that ran before when the new one is not online within the deadline', async () => {
    const s = await setup();
    const { running } = await runAndHandOver(s, '0.2.0');
    s.started[0]!.exit(EXIT_HANDOVER);
    await until(() => s.started.length === 3);
    assert.deepEqual(s.started[1]!.signals, ['SIGTERM']);
    assert.equal(s.started[2]!.file, s.installed);
    const state = readLaunchState(s.state);
    assert.equal(state.current, null);
    assert.deepEqual([state.lastUpgrade?.version, state.lastUpgrade?.outcome], ['0.2.0', 'rolled-back']);
    assert.match(state.lastUpgrade!.reason!, /not online within 200 ms/);
    s.launcher.stop();
    await running;
  });

  it('goes back when the new build exits before it is online', async () => {
    const s = await setup();
    const { running } = await runOnTrial(s, '0.2.0');
    s.started[1]!.exit(3);
    await until(() => s.started.length === 3);
    assert.match(readLaunchState(s.state).lastUpgrade!.reason!, /exited \(status 3\)/);
    s.launcher.stop();
    await running;
  });

  it('never starts a build changed after it was signed: it goes back without starting it', async () => {
    const s = await setup();
    const { running } = await runAndHandOver(s, '0.2.0');
    writeFileSync(path.join(s.state.path, BUILDS_FOLDER, '0.2.0-abc.js'), '// something else\n');
    s.started[0]!.exit(EXIT_HANDOVER);
    await until(() => s.started.length === 2);
    assert.equal(s.started[1]!.file, s.installed);
    assert.match(readLaunchState(s.state).lastUpgrade!.reason!, /did not verify/);
    s.launcher.stop();
    await running;
  });

  it('falls back to the installed build when the current one no longer verifies', async () => {
    const s = await setup();
    await place(path.join(s.state.path, BUILDS_FOLDER, 'current.js'), '0.2.0', s.privateKey);
    await writeLaunchState(s.state, { current: { file: 'current.js', version: '0.2.0', sha256: 'a'.repeat(64) }, previous: null, trial: null, lastUpgrade: null });
    writeFileSync(path.join(s.state.path, BUILDS_FOLDER, 'current.js'), '// tampered\n');
    const { running } = await startFirst(s);
    assert.equal(s.started[0]!.file, s.installed);
    s.launcher.stop();
    await running;
  });

  it('exits 2, which the unit does not restart, when no build verifies, not even the installed one', async () => {
    const s = await setup();
    writeFileSync(s.installed, '// tampered\n');
    assert.equal(await s.launcher.run(), EXIT_CONFIG);
    assert.equal(EXIT_CONFIG, 2);
    assert.equal(s.started.length, 0);
    const unit = readFileSync(fileURLToPath(new URL('../../lormas-agent.service', import.meta.url)), 'utf8');
    assert.match(unit, new RegExp(`^RestartPreventExitStatus=${EXIT_CONFIG}$`, 'm'));
  });

  it('passes each signal on to the running build as it came (SIGINT stays SIGINT)', async () => {
    const s = await setup();
    const { running } = await startFirst(s);
    s.launcher.stop('SIGINT');
    assert.equal(await running, 0);
    assert.deepEqual(s.started[0]!.signals, ['SIGINT']);
  });

  it('passes a stop during a trial on to the trial build, starts no other, and keeps the trial for the next start', async () => {
    const s = await setup();
    const { running } = await runOnTrial(s, '0.2.0');
    s.launcher.stop('SIGINT');
    assert.equal(await running, 0);
    assert.deepEqual(s.started[1]!.signals, ['SIGINT']);
    assert.equal(s.started.length, 2);
    const state = readLaunchState(s.state);
    assert.deepEqual([state.trial?.build.version, state.lastUpgrade], ['0.2.0', null]);
  });

  it('ends promptly, starting nothing, when stopped while it verifies a build', async () => {
    const s = await setup();
    // A sparse file of 4 GiB whose signed manifest says so: hashing it takes seconds, a stop must not wait for that.
    const file = 'big.js';
    const big = path.join(s.state.path, BUILDS_FOLDER, file);
    mkdirSync(path.dirname(big), { recursive: true });
    writeFileSync(big, '');
    truncateSync(big, 4 * 2 ** 30);
    const manifest = JSON.stringify({ sha256: 'a'.repeat(64), sizeBytes: 4 * 2 ** 30 });
    writeFileSync(releaseFileOf(big), JSON.stringify(signManifest(manifest, s.privateKey)));
    await writeLaunchState(s.state, { current: null, previous: null, trial: trialOf('0.2.0', file), lastUpgrade: null });
    let ended = false;
    const running = s.launcher.run().finally(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stoppedAt = Date.now();
    s.launcher.stop();
    await until(() => ended);
    assert.equal(await running, 0);
    assert.ok(Date.now() - stoppedAt < 1_000, `the launcher took ${Date.now() - stoppedAt} ms to stop`);
    assert.equal(s.started.length, 0);
    assert.equal(readLaunchState(s.state).trial?.build.file, file);
  });

  it('prunes after a handover only the builds no state or request names and older than it: a download the new build began is kept', async () => {
    const s = await setup();
    const builds = path.join(s.state.path, BUILDS_FOLDER);
    const old = path.join(builds, '0.0.9-old.js');
    const asked = path.join(builds, '0.0.8-asked.js');
    await place(old, '0.0.9', s.privateKey);
    await place(asked, '0.0.8', s.privateKey);
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const file of [old, releaseFileOf(old), asked, releaseFileOf(asked)]) utimesSync(file, hourAgo, hourAgo);
    const { running } = await runOnTrial(s, '0.2.0');
    // The new build, online, already fetches its next upgrade, and has asked for another build that was in the folder.
    const next = path.join(builds, '0.3.0-def.js.partial');
    writeFileSync(next, 'half a build');
    await writeLaunchRequest(s.state, trialOf('0.0.8', '0.0.8-asked.js'));
    s.started[1]!.readyNow();
    await until(() => readLaunchState(s.state).current?.version === '0.2.0');
    // The launch state is on disk (synced) a moment before the pruning, which removes every file in one go.
    await until(() => !existsSync(old));
    assert.equal(existsSync(releaseFileOf(old)), false);
    assert.equal(existsSync(next), true, 'the download in progress was removed');
    assert.equal(existsSync(asked), true, 'the build the new build asked for was removed');
    assert.equal(existsSync(releaseFileOf(asked)), true);
    assert.equal(existsSync(path.join(builds, '0.2.0-abc.js')), true);
    s.launcher.stop();
    await running;
  });
});
