import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSummary } from '@lormas/protocol';
import { Store } from '../store/Store.js';
import { applyContainerEvent, reconcileInventory } from './reconcileInventory.js';

const spec = (name: string) => ({ name, image: 'busybox', env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] });
const summary = (id: string, state: ContainerSummary['state'], serverId?: string): ContainerSummary => ({
  id,
  name: id,
  image: 'busybox',
  state,
  status: state,
  createdAt: 0,
  labels: {},
  ...(serverId ? { serverId } : {}),
});

async function fixture() {
  const store = new Store({ dataDir: null });
  const node = await (await store.nodes.create({ name: 'n' }));
  const other = await (await store.nodes.create({ name: 'o' }));
  const a = await (await store.containers.create({ nodeId: node.id, spec: spec('a'), ha: false, desiredState: 'running' }));
  const b = await (await store.containers.create({ nodeId: node.id, spec: spec('b'), ha: false, desiredState: 'running' }));
  return { store, node, other, a, b };
}

describe('reconcileInventory', () => {
  it('takes docker id and state from the inventory by server id, marks the rest missing, and reports unknown copies', async () => {
    const { store, node, a, b } = await fixture();
    const report = await (await reconcileInventory(store.containers, node.id, { nodeName: 'n', containers: [summary('d-a', 'exited', a.id), summary('d-x', 'running', 'ctr_elsewhere')] }));
    assert.deepEqual(report, { matched: 1, missing: [b.id], unknown: ['d-x'] });
    assert.deepEqual([(await store.containers.get(a.id))?.dockerId, (await store.containers.get(a.id))?.observedState], ['d-a', 'exited']);
    assert.equal((await store.containers.get(b.id))?.observedState, 'missing');
    assert.equal((await store.containers.get(b.id))?.desiredState, 'running', "the server's desired state is kept");
    await store.close();
  });

  it('matches by docker id when the inventory lacks a server id', async () => {
    const { store, node, a } = await fixture();
    await (await store.containers.update(a.id, { dockerId: 'd-a' }));
    assert.equal((await reconcileInventory(store.containers, node.id, { nodeName: 'n', containers: [summary('d-a', 'running')] })).matched, 1);
    await store.close();
  });
});

describe('applyContainerEvent', () => {
  it('records the state an event leaves, found by server id or docker id', async () => {
    const { store, node, a, b } = await fixture();
    await (await store.containers.update(b.id, { dockerId: 'd-b' }));
    await (await applyContainerEvent(store.containers, node.id, { type: 'start', containerId: 'd-a', name: 'a', serverId: a.id, at: 1 }));
    await (await applyContainerEvent(store.containers, node.id, { type: 'die', containerId: 'd-b', name: 'b', at: 2, exitCode: 1 }));
    assert.equal((await store.containers.get(a.id))?.observedState, 'running');
    assert.equal((await store.containers.get(b.id))?.observedState, 'exited');
    await store.close();
  });

  it("keeps an agent's guard-rail stop on the container until it starts again", async () => {
    const { store, node, a } = await fixture();
    const guardRail = { rule: 'bind-mount-forbidden', message: 'bind mount of /srv/x (/etc, a host system folder) is never allowed' };
    await applyContainerEvent(store.containers, node.id, { type: 'stop', containerId: 'd-a', name: 'a', serverId: a.id, at: 5, guardRail });
    await applyContainerEvent(store.containers, node.id, { type: 'die', containerId: 'd-a', name: 'a', serverId: a.id, at: 6, exitCode: 137 });
    assert.deepEqual((await store.containers.get(a.id))?.guardRailStop, { ...guardRail, at: 5 });
    assert.equal((await store.containers.get(a.id))?.observedState, 'exited');
    await applyContainerEvent(store.containers, node.id, { type: 'start', containerId: 'd-a', name: 'a', serverId: a.id, at: 7 });
    assert.equal((await store.containers.get(a.id))?.guardRailStop, null);
    await store.close();
  });

  it("ignores another node's event about a container the server placed elsewhere", async () => {
    const { store, other, a } = await fixture();
    await applyContainerEvent(store.containers, other.id, { type: 'destroy', containerId: 'stale', name: 'a', serverId: a.id, at: 1 });
    assert.equal((await store.containers.get(a.id))?.observedState, null);
    await store.close();
  });
});
