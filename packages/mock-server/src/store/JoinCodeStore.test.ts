import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Store } from './Store.js';

describe('JoinCodeStore', () => {
  const setup = () => {
    let now = 1_000_000;
    const store = new Store({ dataDir: null, now: () => now });
    const node = store.nodes.create({ name: 'n1' });
    return { store, node, advance: (ms: number) => (now += ms) };
  };

  it('keeps a hash of the code, never the code', () => {
    const { store, node } = setup();
    const { code } = store.joinCodes.issue(node.id, 60_000);
    const rows = JSON.stringify(store.db.prepare('SELECT * FROM join_codes').all());
    assert.ok(!rows.includes(code));
  });

  it('answers the exchange that used a code with its token again while the code lasts, and refuses others as used', () => {
    const { store, node } = setup();
    const { code } = store.joinCodes.issue(node.id, 60_000);
    assert.deepEqual(store.joinCodes.lookup(code, 'exchange-1'), { kind: 'fresh', nodeId: node.id });
    assert.equal(store.joinCodes.claim(code, 'exchange-1', 'a.b.c'), true);
    assert.equal(store.joinCodes.claim(code, 'exchange-2', 'd.e.f'), false);
    assert.deepEqual(store.joinCodes.lookup(code, 'exchange-1'), { kind: 'repeat', nodeId: node.id, token: 'a.b.c' });
    assert.deepEqual(store.joinCodes.lookup(code, 'exchange-2'), { kind: 'refused', reason: 'JOIN_CODE_USED' });
  });

  it('refuses an unknown code, and an expired one as expired, used or not; the kept token goes with the window', () => {
    const { store, node, advance } = setup();
    const used = store.joinCodes.issue(node.id, 60_000).code;
    store.joinCodes.claim(used, 'x', 'a.b.c');
    const other = store.nodes.create({ name: 'n2' });
    const unused = store.joinCodes.issue(other.id, 60_000).code;
    assert.deepEqual(store.joinCodes.lookup('no-such-code-at-all-xx', 'x'), { kind: 'refused', reason: 'JOIN_CODE_UNKNOWN' });
    advance(60_000);
    assert.deepEqual(store.joinCodes.lookup(unused, 'x'), { kind: 'refused', reason: 'JOIN_CODE_EXPIRED' });
    assert.deepEqual(store.joinCodes.lookup(used, 'x'), { kind: 'refused', reason: 'JOIN_CODE_EXPIRED' });
    assert.equal(store.joinCodes.claim(unused, 'x', 'a.b.c'), false);
    assert.deepEqual(store.db.prepare('SELECT token FROM join_codes WHERE token IS NOT NULL').all(), []);
  });

  it("cancels a node's unused code when another is issued", () => {
    const { store, node } = setup();
    const first = store.joinCodes.issue(node.id, 60_000).code;
    store.joinCodes.issue(node.id, 60_000);
    assert.deepEqual(store.joinCodes.lookup(first, 'x'), { kind: 'refused', reason: 'JOIN_CODE_UNKNOWN' });
  });
});
