import type { Readable } from 'node:stream';
import { AgentError, type LogEntry, type LogsInput } from '@lormas/protocol';
import { dialTestAgent, startTestHub, stubHandlers } from '@lormas/protocol/testing';
import { DEFAULT_DOCKER_SOCKET, TEST_IMAGE, docker, ensureTestImage, requireEngine } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import type { ContainerRuntime } from '../src/docker/ContainerRuntime.js';
import { createDockerRuntime } from '../src/docker/dockerRuntime.js';
import { streamLogs, type StreamLogsOptions } from '../src/logs/index.js';

export interface LogsFixtureOptions {
  streamOptions?: StreamLogsOptions;
  hubOptions?: Parameters<typeof startTestHub>[0];
  /** Where the agent dials, when something (a throttling proxy) sits in front of the hub. */
  dialUrl?: (hubUrl: string) => string | Promise<string>;
}

/**
 * The log path of the real system, in one process: containers on the real engine, the agent's
 * `streamLogs` on the dockerode runtime behind the reverse link, and the hub's client as
 * the server uses it. Every engine log stream opened is kept, to prove none is left open.
 */
export async function startLogsFixture(prefix: string, options: LogsFixtureOptions = {}) {
  await requireEngine();
  await ensureTestImage();
  const dockerRuntime = createDockerRuntime({ dockerHost: `unix://${DEFAULT_DOCKER_SOCKET}` });
  const engineStreams: Readable[] = [];
  const runtime: ContainerRuntime = {
    ...dockerRuntime,
    logs: async (id, raw) => {
      const stream = await dockerRuntime.logs(id, raw);
      engineStreams.push(stream);
      return stream;
    },
  };
  const handlers = stubHandlers({
    nodeName: prefix,
    overrides: { containers: { logs: (input, ctx) => streamLogs(runtime, input, ctx, options.streamOptions) } },
  });

  const hub = await startTestHub(options.hubOptions);
  const nodeId = `${prefix}-node`;
  const dialUrl = options.dialUrl ? await options.dialUrl(hub.url) : hub.url;
  let socket: WebSocket = dialTestAgent(dialUrl, nodeId, handlers);
  const containers: string[] = [];
  const client = hub.hub.client(nodeId);

  return {
    client,
    runtime,
    get socket() {
      return socket;
    },
    /** Engine log streams still open. */
    openEngineStreams: () => engineStreams.filter((s) => !s.destroyed).length,
    engineStreams,

    /** Starts a container running `script` under `sh -c`; resolves with its id. */
    async run(name: string, script: string, flags: string[] = []): Promise<string> {
      const id = await docker(['run', '-d', '--network', 'none', '--name', `${prefix}-${name}`, ...flags, TEST_IMAGE, 'sh', '-c', script]);
      containers.push(id);
      return id;
    },
    /** Waits until the container exits. */
    wait: (id: string) => docker(['wait', id]),

    /** Reads a log to its end as the server does; rejects with the agent's error. */
    read(input: LogsInput, timeoutMs = 60_000): Promise<LogEntry[]> {
      const entries: LogEntry[] = [];
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          subscription.unsubscribe();
          reject(new Error(`log of ${input.id} did not end within ${timeoutMs} ms (${entries.length} entries)`));
        }, timeoutMs);
        const subscription = client.containers.logs.subscribe(input, {
          onData: ({ data }) => {
            for (const entry of data.entries) entries.push(entry);
          },
          onComplete: () => {
            clearTimeout(timer);
            resolve(entries);
          },
          onError: (error) => {
            clearTimeout(timer);
            reject(AgentError.from(error));
          },
        });
      });
    },

    /** Cuts the connection the hard way and dials again, as an agent after a network blip. */
    cut(): void {
      socket.terminate();
      socket = dialTestAgent(dialUrl, nodeId, handlers);
    },

    async close(): Promise<void> {
      socket.terminate();
      if (containers.length > 0) await docker(['rm', '-f', ...containers]).catch(() => '');
      await hub.close();
    },
  };
}

export type LogsFixture = Awaited<ReturnType<typeof startLogsFixture>>;

/** The lines of a log, optionally of one stream. */
export const linesOf = (entries: LogEntry[], stream?: LogEntry['stream']) => entries.filter((e) => !stream || e.stream === stream).map((e) => e.line);
