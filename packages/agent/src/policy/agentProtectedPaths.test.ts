import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { agentProtectedPaths } from './agentProtectedPaths.js';

describe('agentProtectedPaths', () => {
  it("lists the working folder, the state folder, the code's folder and the DOCKER_HOST socket's folder, links resolved too", (t) => {
    const base = mkdtempSync(join(tmpdir(), 'lgr-paths-'));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    mkdirSync(join(base, 'real-state'));
    symlinkSync(join(base, 'real-state'), join(base, 'state'));
    const paths = agentProtectedPaths({ dockerHost: 'unix:///srv/engine/run/docker.sock', stateDir: join(base, 'state'), cwd: '/opt/lormas-agent', entry: 'dist/agent.js' });
    assert.deepEqual(
      paths.map((p) => p.path),
      ['/opt/lormas-agent', join(base, 'state'), join(base, 'real-state'), '/opt/lormas-agent/dist', '/srv/engine/run'],
    );
  });

  it('adds no socket folder for a tcp:// engine', () => {
    const paths = agentProtectedPaths({ dockerHost: 'tcp://10.0.0.2:2375', stateDir: '/var/lib/lormas-agent', cwd: '/opt/lormas-agent' });
    assert.deepEqual(paths.map((p) => p.path), ['/opt/lormas-agent', '/var/lib/lormas-agent']);
  });
});
