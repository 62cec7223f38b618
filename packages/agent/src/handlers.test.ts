import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError, CreateContainerInput, type CreateContainerInput as CreateInput } from '@lormas/protocol';
import type { ContainerFacts, ContainerRuntime } from './docker/ContainerRuntime.js';
import { createHandlers, type AgentServices } from './handlers.js';
import { OperationLedger } from './operations/OperationLedger.js';
import { ForbiddenPaths } from './policy/ForbiddenPaths.js';
import { DEFAULT_GUARD_RAILS } from './policy/guardRails.js';

const NODE = 'node-1';

/**
 * A runtime with one image that a pull can fetch, recording every call. `afterCreate` is what
 * the engine gives the container beyond the labels asked for: an image retagged between the
 * agent's look and the create.
 */
function engine(options: { image?: Record<string, string>; afterCreate?: Record<string, string> } = {}) {
  const calls: string[] = [];
  let volumeCreations = 0;
  let image = options.image;
  let created: Record<string, string> = {};
  const runtime = {
    imageLabels: async () => {
      calls.push('imageLabels');
      return image;
    },
    pull: async () => {
      calls.push('pull');
      image ??= {};
      return 'sha256:pulled';
    },
    create: async (_spec: unknown, labels: Record<string, string>) => {
      calls.push('create');
      created = { ...image, ...options.afterCreate, ...labels };
      return 'c1';
    },
    labelsOf: async (): Promise<ContainerFacts> => {
      calls.push('labelsOf');
      return { id: 'c1', name: 'web', labels: created, tty: false, running: false, startedAt: '', mounts: [] };
    },
    start: async () => void calls.push('start'),
    remove: async () => void calls.push('remove'),
  } as unknown as ContainerRuntime;
  const services = {
    runtime,
    ledger: new OperationLedger(),
    mounts: { forCreate: async () => [], createVolumes: async () => void volumeCreations++ },
    forbidden: new ForbiddenPaths(),
    config: { nodeId: NODE, nodeName: 'one', guardRails: DEFAULT_GUARD_RAILS, heartbeatIntervalMs: 5_000 },
  } as unknown as AgentServices;
  const { handlers } = createHandlers(services);
  let n = 0;
  const create = (input: Partial<CreateInput> = {}) =>
    handlers.containers.create(CreateContainerInput.parse({ operationId: `op-${++n}`, spec: { name: 'web', image: 'app:1' }, ...input }));
  return { create, calls, labels: () => created, volumeCreations: () => volumeCreations };
}

describe('containers.create and the image it is made from', () => {
  it('looks at a present image once, for the pull policy and the labels, and blanks its lormas.* labels', async () => {
    const e = engine({ image: { 'lormas.fence-after-ms': '1', app: 'kept' } });
    await e.create();
    assert.deepEqual(e.calls, ['imageLabels', 'create', 'labelsOf']);
    assert.equal(e.labels()['lormas.fence-after-ms'], '');
    assert.equal(e.labels()['lormas.node'], NODE);
    assert.equal(e.labels()['app'], 'kept');
  });

  it('pulls a missing image and reads the labels of what it pulled', async () => {
    const e = engine();
    await e.create({ start: true });
    assert.deepEqual(e.calls, ['imageLabels', 'pull', 'imageLabels', 'create', 'labelsOf', 'start']);
  });

  it('pulls first under the policy always, and looks only at what it pulled', async () => {
    const e = engine({ image: {} });
    await e.create({ pull: 'always' });
    assert.deepEqual(e.calls, ['pull', 'imageLabels', 'create', 'labelsOf']);
  });

  it('refuses a missing image under the policy never, creating nothing', async () => {
    const e = engine();
    await assert.rejects(e.create({ pull: 'never' }), (error: unknown) => error instanceof AgentError && error.code === 'NOT_FOUND' && /no such image: app:1/.test(error.message));
    assert.ok(!e.calls.includes('create') && !e.calls.includes('pull'));
    assert.deepEqual(e.calls, ['imageLabels'], 'looked at once');
    assert.equal(e.volumeCreations(), 0, 'no volume made for a container that cannot be created');
  });

  it('removes a container whose image was retagged with a lormas.* label after the look, and starts nothing', async () => {
    const e = engine({ image: {}, afterCreate: { 'lormas.future': 'x' } });
    await assert.rejects(e.create({ start: true }), (error: unknown) => error instanceof AgentError && error.code === 'INTERNAL' && /lormas\.future/.test(error.message));
    assert.deepEqual(e.calls, ['imageLabels', 'create', 'labelsOf', 'remove']);
  });
});
