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
  // The engine's own start and stop times swing by 100 ms and more: 48 lifecycles a side keep
  // the medians' ratio steady to about 0.02 from run to run.
  const perRound = quick ? 1 : 6;
  const rounds = quick ? 3 : 8;
  await requireEngine();
  await ensureTestImage();
  await removeBenchContainers(PREFIX);
  const engine = new Docker({ socketPath: DEFAULT_DOCKER_SOCKET });
  const under = await startAgentUnderTest('bench-lifecycle');
  let n = 0;
  // A failed lifecycle is counted and reported, not retried: the figure must not hide errors.
  const failures: string[] = [];
  const name = () => `${PREFIX}${process.pid}-${++n}`;
  try {
    const { subject, floor } = await measurePair({
      warmupRounds: 1,
      rounds,
      subject: async () => {
        const samples: number[] = [];
        for (let i = 0; i < perRound; i++) {
          const op = name();
          const start = performance.now();
          try {
            const created = await under.client.containers.create.mutate({
              operationId: `${op}-create`,
              spec: { name: op, image: TEST_IMAGE, cmd: CMD, networkMode: 'none' },
              start: true,
            });
            await under.client.containers.stop.mutate({ operationId: `${op}-stop`, id: created.containerId, timeoutSeconds: 0 });
            await under.client.containers.remove.mutate({ operationId: `${op}-remove`, id: created.containerId, force: true });
            samples.push(performance.now() - start);
          } catch (error) {
            failures.push(`agent: ${(error as Error).message}`);
          }
        }
        return samples;
      },
      floor: async () => {
        const samples: number[] = [];
        for (let i = 0; i < perRound; i++) {
          const start = performance.now();
          try {
            const container = await engine.createContainer({ name: name(), Image: TEST_IMAGE, Cmd: CMD, HostConfig: { NetworkMode: 'none' } });
            await container.start();
            await container.stop({ t: 0 });
            await container.remove({ force: true });
            samples.push(performance.now() - start);
          } catch (error) {
            failures.push(`dockerode: ${(error as Error).message}`);
          }
        }
        return samples;
      },
    });
    return [
      compare(
        {
          name: '1. container lifecycle via the agent',
          runtime: under.runtime,
          unit: 'ms',
          workload: `create+start, stop (0 s), remove of one busybox container (networkMode none); ${perRound} lifecycles a round x ${rounds} rounds per side, alternating, after 1 warm-up round each; samples are single lifecycles`,
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
