import { startAgentUnderTest } from './agentUnderTest.js';
import { CONTAINER_PREFIX, removeBenchContainers } from './cleanup.js';
import { type BenchResult, compare, measurePair, p99, round } from './stats.js';
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
  // One lifecycle's time swings with the engine's: a standard deviation of about 28 ms on a
  // median of 260 ms here, the same on both sides, and the engine is slower or faster for
  // seconds at a time. With rounds of 6 and 8 lifecycles those spells fell on one side's round
  // and the ratio moved from 1.00 to 1.08 between runs. One lifecycle a round, the sides taking
  // turns, puts both sides in every spell; 128 a side leave a median's error at about
  // 1.25 x 28 / sqrt(128), 3 ms.
  // Even, so that ABBA gives each side the first turn as often.
  const rounds = quick ? 4 : 128;
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
          workload: `create+start, stop (0 s), remove of one busybox container (networkMode none); ${rounds} per side, one at a time, the sides taking turns (ABBA), after ${quick ? 1 : 4} warm-up lifecycles each; samples are single lifecycles`,
          rounds,
          notes:
            `floor: the same four engine calls with dockerode from the bench process, p99 ${round(p99(floor))} ms; target ratio <= 1.05` +
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
