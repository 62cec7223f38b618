import path from 'node:path';

/** A host path no bind source may be, lie under, or (for `both` ones) contain. */
export interface ProtectedPath {
  path: string;
  /** Said in the refusal, e.g. "the Docker engine's data". */
  reason: string;
}

/** Whether `child` is `parent` or lies under it; both absolute and normalised. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * The host's own control surfaces: a bind source may not be one of these folders or lie
 * under one. Only `/` contains them, and `/` is refused on its own.
 */
const SYSTEM_TREES = ['/etc', '/proc', '/sys', '/dev', '/boot'];

/**
 * What runs the containers, and what else answers root's requests on the host. Binding one
 * of these, anything under one, or any folder that holds one, gives the container the
 * engine or the init system, and with it root on the host. Both spellings of `/run`, since
 * `/var/run` is not a link to it everywhere.
 */
const ENGINE_PATHS: ProtectedPath[] = [
  ...['/run', '/var/run'].flatMap((run) => [
    { path: `${run}/docker.sock`, reason: 'the Docker socket' },
    { path: `${run}/docker`, reason: "the Docker engine's run-time state" },
    { path: `${run}/containerd`, reason: "containerd's sockets and state" },
    { path: `${run}/systemd`, reason: "systemd's sockets" },
    { path: `${run}/dbus/system_bus_socket`, reason: 'the D-Bus system bus' },
  ]),
  { path: '/var/lib/docker', reason: "the Docker engine's data" },
  { path: '/var/lib/containerd', reason: "containerd's data" },
];

/**
 * Every host path that is never a bind source, whatever the allow-list says: the fixed ones
 * above, those this agent adds at start (the folder of its `DOCKER_HOST` socket, its own
 * folders, which hold its token), and the data root the engine reports, which the agent
 * learns when it first reaches the engine and again whenever the engine comes back.
 */
export class ForbiddenPaths {
  private readonly added: ProtectedPath[];
  private dataRoot: ProtectedPath | null = null;

  constructor(added: ProtectedPath[] = []) {
    this.added = added.map((entry) => ({ ...entry, path: path.resolve(entry.path) }));
  }

  /** The engine's `DockerRootDir`, from `GET /info`. */
  setDataRoot(dataRoot: string): void {
    if (path.isAbsolute(dataRoot)) this.dataRoot = { path: path.resolve(dataRoot), reason: "the Docker engine's data" };
  }

  /** Why `source` (absolute, normalised, links resolved or not) may never be bound; `undefined` when it may. */
  reasonFor(source: string): string | undefined {
    if (source === '/') return 'the host root';
    if (source.endsWith('docker.sock')) return 'the Docker socket';
    const tree = SYSTEM_TREES.find((folder) => isInside(source, folder));
    if (tree !== undefined) return `${tree}, a host system folder`;
    const dynamic = this.dataRoot ? [...this.added, this.dataRoot] : this.added;
    for (const entry of [...ENGINE_PATHS, ...dynamic]) {
      if (isInside(source, entry.path)) return entry.reason;
      if (isInside(entry.path, source)) return `a folder holding ${entry.reason}`;
    }
    return undefined;
  }
}
