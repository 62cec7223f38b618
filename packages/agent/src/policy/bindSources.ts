import { realpathSync } from 'node:fs';
import path from 'node:path';

/** Host folders that are never a bind source, nor is anything under them: the host's own control surfaces. */
const FORBIDDEN_TREES = ['/etc', '/proc', '/sys', '/dev', '/boot'];

/**
 * Where the Docker socket lives. Binding the socket, or any folder that holds it, hands
 * the container the whole engine, and with it root on the host.
 */
const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];

/** The engine's data root: every container's files, and the engine's own state. */
const DOCKER_DATA_ROOT = '/var/lib/docker';

/** Whether `child` is `parent` or lies under it; both absolute and normalised. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Why a resolved host path may never be bound, or `undefined` when it may be (subject to the allow-list). */
function forbiddenReason(source: string): string | undefined {
  if (source === '/') return 'the host root';
  if (source.endsWith('docker.sock')) return 'the Docker socket';
  if (DOCKER_SOCKETS.some((socket) => isInside(socket, source))) return 'a folder holding the Docker socket';
  const tree = FORBIDDEN_TREES.find((folder) => isInside(source, folder));
  if (tree !== undefined) return `${tree}, a host system folder`;
  if (isInside(source, DOCKER_DATA_ROOT) || isInside(DOCKER_DATA_ROOT, source)) return "the Docker engine's data";
  return undefined;
}

/**
 * The forms of a bind source that are judged: the lexical one (`..` resolved) and, when
 * the path exists, the one with symlinks followed, since the engine follows them. A
 * link planted inside an allowed folder that points at `/etc` is therefore refused.
 */
export function bindSourceForms(source: string): string[] {
  const lexical = path.resolve('/', source);
  try {
    const real = realpathSync(lexical);
    return real === lexical ? [lexical] : [lexical, real];
  } catch {
    return [lexical];
  }
}

/** Why `source` may never be bound, whatever the configuration; `undefined` if it may. */
export function forbiddenBindSource(source: string): string | undefined {
  for (const form of bindSourceForms(source)) {
    const reason = forbiddenReason(form);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** Whether every form of `source` lies inside one of the allow-list's folders. */
export function bindSourceAllowed(source: string, allowList: string[]): boolean {
  return bindSourceForms(source).every((form) => allowList.some((allowed) => isInside(form, allowed)));
}
