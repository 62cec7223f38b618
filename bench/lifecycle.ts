import { startAgentUnderTest } from './agentUnderTest.js';
import { CONTAINER_PREFIX, removeBenchContainers } from './cleanup.js';
import { type BenchResult, compare, measurePair, median, p99, ratioOf, round } from './stats.js';
import { DEFAULT_DOCKER_SOCKET, Docker, ensureTestImage, requireEngine, TEST_IMAGE } from './workspace.js';

const PREFIX = `${CONTAINER_PREFIX}life-`;
const CMD = ['sleep', '300'];

/**
 * Figure 1: create + start, stop, remove of a busybox container, through the server's typed
 * client -> reverse link -> agent process -> engine, against the same four engine calls made
 * with dockerode straight on the engine from this process. Rounds alternate the two so
 * drift on the machine lands on both.
 */
export async function benchLifecycle({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  // One lifecycle's time swings with the engine's: a standard deviation of 20 to 30 ms on a
  // median of 230 to 260 ms here, the same on both sides, and the engine is slower or faster for
  // seconds at a time. With rounds of 6 and 8 lifecycles those spells fell on one side's round
  // and the ratio moved from 1.00 to 1.08 between runs. One lifecycle a round, the sides taking
  // turns, puts both sides in every spell.
  // The median of single lifecycles is a poor estimate of their centre: the distribution is flat
  // around it. In one run of 384 lifecycles a side, resampled in blocks of 8 (to keep the spells),
  // the ratio of medians had a standard error of 1.2 %, the ratio of 20 % trimmed means 0.7 %
  // (1.5 to 1.7 % against 1.0 % at 128 a side); both estimated the same ratio, 1.026 and 1.031.
  // So value and baseline are trimmed means, over 256 lifecycles a side (about 0.85 %).
  // Even, so that ABBA gives each side the first turn as often.
  const rounds = quick ? 4 : 256;
  await requireEngine();
  await ensureTestImage();
  await removeBenchContainers(PREFIX);
  const engine = new Docker({ socketPath: DEFAULT_DOCKER_SOCKET });
  const under = await startAgentUnderTest('bench-lifecycle');
  let n = 0;
  const failures: string[] = [];
  const name = () => `${PREFIX}${process.pid}-${++n}`;
  /** One lifecycle's time as a round's one sample; none if it failed. */
  const timed = async (side: string, lifecycle: () => Promise<void>): Promise<number[]> => {
    const start = performance.now();
    try {
      await lifecycle();
      return [performance.now() - start];
    } catch (error) {
      failures.push(`${side}: ${(error as Error).message}`);
      return [];
    }
  };
  try {
    const { subject, floor } = await measurePair({
      warmupRounds: quick ? 1 : 4,
      rounds,
      // A failed lifecycle is counted and reported, not retried: the figure must not hide errors.
      subject: () =>
        timed('agent', async () => {
          const op = name();
          const created = await under.client.containers.create.mutate({
            operationId: `${op}-create`,
            spec: { name: op, image: TEST_IMAGE, cmd: CMD, networkMode: 'none' },
            start: true,
          });
          await under.client.containers.stop.mutate({ operationId: `${op}-stop`, id: created.containerId, timeoutSeconds: 0 });
          await under.client.containers.remove.mutate({ operationId: `${op}-remove`, id: created.containerId, force: true });
        }),
      floor: () =>
        timed('dockerode', async () => {
          const container = await engine.createContainer({ name: name(), Image: TEST_IMAGE, Cmd: CMD, HostConfig: { NetworkMode: 'none' } });
          await container.start();
          await container.stop({ t: 0 });
          await container.remove({ force: true });
        }),
    });
    return [
      compare(
        {
          name: '1. container lifecycle via the agent',
          runtime: under.runtime,
          unit: 'ms',
          workload: `create+start, stop (0 s), remove of one busybox container (networkMode none); ${rounds} per side, one at a time, the sides taking turns (ABBA), after ${quick ? 1 : 4} warm-up lifecycles each; samples are single lifecycles; value and baseline are 20 % trimmed means (the mean of the middle 60 % of each side's lifecycles)`,
          rounds,
          center: 'trimmed mean',
          notes:
            `floor: the same four engine calls with dockerode from the bench process, median ${round(median(floor))} ms, p99 ${round(p99(floor))} ms; ratio of medians ${round(ratioOf(median(subject), median(floor)), 3)}; target ratio <= 1.05` +
            (failures.length ? `. ${failures.length} lifecycle(s) failed and are not in the samples, first: ${failures[0]}` : ''),
        },
        subject,
        floor,
      ),
    ];
  } finally {
    await under.close();
    await removeBenchContainers(PREFIX);
  }
}
