import type Docker from 'dockerode';
import type { EngineAddress } from './engineGet.js';

/** Where the engine listens when `DOCKER_HOST` is not set. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** dockerode's connection options for a `DOCKER_HOST` value (see `engineAddress`). */
export function dockerConnection(dockerHost: string | undefined): Docker.DockerOptions {
  const address = engineAddress(dockerHost);
  return 'socketPath' in address ? address : { protocol: 'http', ...address };
}

/**
 * Where the engine listens, from a `DOCKER_HOST` value: `unix:///path`, `tcp://host:port`
 * (plain HTTP; port 2375 when left out), or empty for the local socket. Anything else is an
 * operator's mistake, reported at start-up as a `TypeError`.
 */
export function engineAddress(dockerHost: string | undefined): EngineAddress {
  const value = dockerHost?.trim() ?? '';
  if (value === '') return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new TypeError(`DOCKER_HOST: expected unix:///absolute/path, got "${value}"`);
    return { socketPath };
  }
  if (value.startsWith('tcp://') || value.startsWith('http://')) {
    let url: URL;
    try {
      url = new URL(value.replace(/^tcp:/, 'http:'));
    } catch {
      throw new TypeError(`DOCKER_HOST: expected tcp://host:port, got "${value}"`);
    }
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 2375 : Number(url.port) };
  }
  throw new TypeError(`DOCKER_HOST: expected unix:///path or tcp://host:port, got "${value}"`);
}
