import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContainerSpec } from './containerSpec.js';

describe('ContainerSpec', () => {
  it('applies safe defaults to a minimal spec', () => {
    const spec = ContainerSpec.parse({ name: 'web', image: 'busybox' });
    assert.equal(spec.privileged, false);
    assert.deepEqual(spec.capAdd, []);
    assert.deepEqual(spec.env, {});
    assert.deepEqual(spec.mounts, []);
  });

  it('refuses an unknown field and names it, instead of dropping it', () => {
    const result = ContainerSpec.safeParse({ name: 'web', image: 'busybox', Privileged: true });
    assert.ok(!result.success);
    const issue = result.error.issues[0]!;
    assert.equal(issue.code, 'unrecognized_keys');
    assert.deepEqual((issue as { keys: string[] }).keys, ['Privileged']);
  });

  it('refuses an unknown field inside a mount', () => {
    const result = ContainerSpec.safeParse({ name: 'web', image: 'b', mounts: [{ type: 'bind', source: '/srv', target: '/data', propagation: 'shared' }] });
    assert.ok(!result.success);
    assert.deepEqual(result.error.issues[0]!.path, ['mounts', 0]);
  });

  it('refuses labels in the namespace the agent reserves for itself', () => {
    const result = ContainerSpec.safeParse({ name: 'web', image: 'b', labels: { 'lormas.managed': 'true' } });
    assert.ok(!result.success);
  });

  it('refuses an environment variable name containing "="', () => {
    assert.ok(!ContainerSpec.safeParse({ name: 'web', image: 'b', env: { 'A=B': 'c' } }).success);
  });

  it('refuses a container name Docker would refuse', () => {
    assert.ok(!ContainerSpec.safeParse({ name: '/bad name', image: 'b' }).success);
  });
});
