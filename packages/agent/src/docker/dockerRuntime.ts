import type { Readable } from 'node:stream';
import { AgentError, type ContainerDetails, type ContainerSummary, ContainerState, ManagedLabel } from '@lormas/protocol';
import Docker from 'dockerode';
import type { ContainerRuntime, MountFacts, PullProgress, RawLogsOptions, RuntimeEvent, VolumeFacts } from './ContainerRuntime.js';
import { dockerConnection, engineAddress } from './dockerHost.js';
import { engineGet } from './engineGet.js';
import { dockerToSpec } from './dockerToSpec.js';
import { engineCall, toAgentError } from './engineErrors.js';
import type { EngineContainerInspect, EngineHostConfig, EngineImageConfig, EngineVolume } from './engineTypes.js';
import { toPullProgress } from './pullProgress.js';
import { specToDocker } from './specToDocker.js';
import { labelFilters, watchEvents } from './watchEvents.js';
import { jsonLines } from './jsonLines.js';

export interface DockerRuntimeOptions {
  /**
   * The engine's address, as `DOCKER_HOST`: `unix:///path/docker.sock` or `tcp://host:port`.
   * @default '' (the local socket, `/var/run/docker.sock`)
   */
  dockerHost?: string;
}

const flag = (on: boolean) => (on ? '1' : '0');

/** Epoch milliseconds of an engine timestamp; `null` for Go's zero time, which means "never". */
function epochMs(time: string | undefined): number | null {
  const ms = Date.parse(time ?? '');
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

function stateOf(status: string): ContainerState {
  const parsed = ContainerState.safeParse(status);
  return parsed.success ? parsed.data : 'dead';
}

/** Runs a call that the engine answers with 304 when there is nothing to do (start a running container, stop a stopped one). */
async function idempotent(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if ((err as { statusCode?: unknown }).statusCode !== 304) throw toAgentError(err);
  }
}

/** Binds and named volumes of a container, from `HostConfig.Mounts` and the older `HostConfig.Binds`. */
function mountsOf(host: EngineHostConfig): MountFacts[] {
  const mounts: MountFacts[] = (host.Mounts ?? [])
    .filter((mount) => (mount.Type === 'bind' || mount.Type === 'volume') && mount.Source)
    .map((mount) => ({ type: mount.Type, source: mount.Source!, target: mount.Target }));
  for (const bind of host.Binds ?? []) {
    // `source:target[:options]`; a source that is not a path names a volume.
    const [source = '', target = ''] = bind.split(':');
    mounts.push({ type: source.startsWith('/') ? 'bind' : 'volume', source, target });
  }
  return mounts;
}

function volumeFacts(volume: EngineVolume): VolumeFacts {
  return { name: volume.Name, driver: volume.Driver, labels: volume.Labels ?? {}, options: volume.Options ?? {}, createdAt: volume.CreatedAt ?? '' };
}

function summaryOf(info: Docker.ContainerInfo): ContainerSummary {
  // The agent blanks the reserved labels it has no value for: an empty one means none.
  const serverId = info.Labels[ManagedLabel.serverId] || undefined;
  return {
    id: info.Id,
    name: (info.Names[0] ?? '').replace(/^\//, ''),
    image: info.Image,
    state: stateOf(info.State),
    status: info.Status,
    createdAt: info.Created * 1000,
    labels: info.Labels,
    ...(serverId === undefined ? {} : { serverId }),
  };
}

/** The `ContainerRuntime` on a Docker engine, through dockerode. */
export function createDockerRuntime(options: DockerRuntimeOptions = {}): ContainerRuntime {
  const address = engineAddress(options.dockerHost);
  const docker = new Docker(dockerConnection(options.dockerHost));

  async function imageConfig(image: string): Promise<EngineImageConfig | undefined> {
    try {
      return ((await docker.getImage(image).inspect()) as { Config?: EngineImageConfig }).Config ?? {};
    } catch (err) {
      if (toAgentError(err).code === 'NOT_FOUND') return undefined;
      throw toAgentError(err);
    }
  }

  async function inspectVolume(name: string): Promise<VolumeFacts | undefined> {
    try {
      return volumeFacts((await docker.getVolume(name).inspect()) as EngineVolume);
    } catch (err) {
      const error = toAgentError(err);
      if (error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  async function inspectRaw(idOrName: string): Promise<EngineContainerInspect> {
    return engineCall(() => docker.getContainer(idOrName).inspect() as Promise<unknown> as Promise<EngineContainerInspect>);
  }

  return {
    async ping() {
      const version = await engineCall(() => docker.version());
      return { version: version.Version, apiVersion: version.ApiVersion };
    },

    async list(labels, filter = {}) {
      const label = filter.withLabel === undefined ? labelFilters(labels) : [...labelFilters(labels), filter.withLabel];
      const infos = await engineCall(() => docker.listContainers({ all: true, filters: { label, ...(filter.running ? { status: ['running'] } : {}) } }));
      return infos.map(summaryOf);
    },

    async inspect(idOrName): Promise<ContainerDetails> {
      const info = await inspectRaw(idOrName);
      const [image, listed] = await Promise.all([
        imageConfig(info.Image),
        engineCall(() => docker.listContainers({ all: true, filters: { id: [info.Id] } })),
      ]);
      const labels = info.Config.Labels ?? {};
      const serverId = labels[ManagedLabel.serverId] || undefined;
      const state = stateOf(info.State.Status);
      const error = info.State.Error;
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        image: info.Config.Image ?? info.Image,
        state,
        // Only the list endpoint has the engine's human status ("Up 3 minutes").
        status: listed[0]?.Status ?? info.State.Status,
        createdAt: epochMs(info.Created) ?? 0,
        labels,
        ...(serverId === undefined ? {} : { serverId }),
        spec: dockerToSpec(info, image),
        imageId: info.Image,
        running: info.State.Running,
        exitCode: state === 'exited' || state === 'dead' ? info.State.ExitCode : null,
        oomKilled: info.State.OOMKilled,
        restartCount: info.RestartCount,
        health: (info.State.Health?.Status as ContainerDetails['health'] | undefined) ?? 'none',
        startedAt: epochMs(info.State.StartedAt),
        finishedAt: info.State.Running ? null : epochMs(info.State.FinishedAt),
        ...(error ? { error } : {}),
      };
    },

    async labelsOf(idOrName) {
      const info = await inspectRaw(idOrName);
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        labels: info.Config.Labels ?? {},
        tty: info.Config.Tty ?? false,
        running: info.State.Running,
        startedAt: info.State.StartedAt,
        mounts: mountsOf(info.HostConfig),
      };
    },

    async imageLabels(image) {
      const config = await imageConfig(image);
      return config === undefined ? undefined : (config.Labels ?? {});
    },

    async dataRoot() {
      const info = (await engineCall(() => docker.info())) as { DockerRootDir?: unknown };
      if (typeof info.DockerRootDir !== 'string' || info.DockerRootDir === '') throw new AgentError('ENGINE_ERROR', 'the engine did not report its data root');
      return info.DockerRootDir;
    },

    inspectVolume,

    async createVolume(name, labels) {
      await engineCall(() => docker.createVolume({ Name: name, Driver: 'local', DriverOpts: {}, Labels: labels }));
      // Read back rather than trust the create's answer: for a name that exists, it is the old volume.
      const created = await inspectVolume(name);
      if (created === undefined) throw new AgentError('CONFLICT', `volume ${name} was removed as it was created`);
      return created;
    },

    async volumeUsers(name) {
      const infos = await engineCall(() => docker.listContainers({ all: true, filters: { volume: [name] } }));
      return infos.map((info) => ({ id: info.Id, labels: info.Labels ?? {} }));
    },

    async pull(image: string, onProgress: (progress: PullProgress) => void, signal?: AbortSignal) {
      const cancelled = () => new AgentError('INTERNAL', `the pull of ${image} was cancelled`, { cause: signal?.reason });
      if (signal?.aborted) throw cancelled();
      const stream = (await engineCall(() => docker.pull(image))) as Readable;
      const onAbort = () => stream.destroy();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const line of jsonLines(stream)) onProgress(toPullProgress(line));
      } catch (err) {
        throw signal?.aborted ? cancelled() : toAgentError(err);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        stream.destroy();
      }
      if (signal?.aborted) throw cancelled();
      const pulled = await engineCall(() => docker.getImage(image).inspect());
      return pulled.Id;
    },

    async create(spec, labels) {
      const body = specToDocker(spec, labels);
      const container = await engineCall(() => docker.createContainer(body as Docker.ContainerCreateOptions));
      return container.id;
    },

    async start(id) {
      await idempotent(() => docker.getContainer(id).start());
    },

    async stop(id, timeoutSeconds) {
      await idempotent(() => docker.getContainer(id).stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }));
      const { State } = await inspectRaw(id);
      return { exitCode: State.Running || State.Status === 'created' ? null : State.ExitCode };
    },

    async restart(id, timeoutSeconds) {
      await engineCall(() => docker.getContainer(id).restart(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }));
    },

    async remove(id, { force, removeVolumes }) {
      await engineCall(() => docker.getContainer(id).remove({ force, v: removeVolumes }));
    },

    async logs(id: string, options: RawLogsOptions): Promise<Readable> {
      const query = new URLSearchParams({ follow: flag(options.follow), stdout: flag(options.stdout), stderr: flag(options.stderr), timestamps: '1' });
      if (options.tail !== undefined) query.set('tail', String(options.tail));
      if (options.since !== undefined) query.set('since', String(options.since));
      if (options.until !== undefined) query.set('until', String(options.until));
      return engineCall(() => engineGet(address, `/containers/${encodeURIComponent(id)}/logs?${query}`));
    },

    events(labels: Record<string, string>, signal: AbortSignal, onOpen?: () => void): AsyncIterable<RuntimeEvent> {
      return watchEvents(docker, labels, signal, onOpen);
    },

    async getArchive(id, path) {
      return (await engineCall(() => docker.getContainer(id).getArchive({ path }))) as Readable;
    },

    async putArchive(id, path, tar) {
      // A failing source would leave the upload hanging, and a refused upload would leave the
      // source's producer blocked: each side's failure ends the other.
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(toAgentError(err));
        tar.once('error', onError);
        engineCall(() => docker.getContainer(id).putArchive(tar, { path }))
          .then(
            () => resolve(),
            (err: unknown) => {
              tar.destroy();
              reject(err as Error);
            },
          )
          .finally(() => tar.off('error', onError));
      });
    },
  };
}
