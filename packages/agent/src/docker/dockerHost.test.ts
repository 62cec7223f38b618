import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DOCKER_SOCKET, dockerConnection } from './dockerHost.js';

describe('dockerConnection', () => {
  it('uses the local socket when DOCKER_HOST is empty or unset', () => {
    assert.deepEqual(dockerConnection(undefined), { socketPath: DEFAULT_DOCKER_SOCKET });
    assert.deepEqual(dockerConnection(''), { socketPath: DEFAULT_DOCKER_SOCKET });
  });

  it('reads unix:///path as a socket path', () => {
    assert.deepEqual(dockerConnection('unix:///run/user/1000/docker.sock'), { socketPath: '/run/user/1000/docker.sock' });
  });

  it('reads tcp://host:port as plain HTTP', () => {
    assert.deepEqual(dockerConnection('tcp://127.0.0.1:2375'), { protocol: 'http', host: '127.0.0.1', port: 2375 });
    assert.deepEqual(dockerConnection('tcp://[::1]:2376'), { protocol: 'http', host: '::1', port: 2376 });
  });

  it('defaults the tcp port to 2375', () => {
    assert.deepEqual(dockerConnection('tcp://docker.internal'), { protocol: 'http', host: 'docker.internal', port: 2375 });
  });

  it('throws a TypeError naming DOCKER_HOST for another scheme or a relative socket', () => {
    assert.throws(() => dockerConnection('ssh://user@host'), { name: 'TypeError', message: /DOCKER_HOST/ });
    assert.throws(() => dockerConnection('unix://docker.sock'), { name: 'TypeError', message: /DOCKER_HOST/ });
  });
});
