import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManagedIds } from './ManagedIds.js';

const id = (n: number) => n.toString(16).padStart(64, '0');

describe('ManagedIds', () => {
  it('finds a remembered full id, with the name it was seen under', () => {
    const ids = new ManagedIds();
    ids.remember(id(1), 'web');
    assert.deepEqual(ids.lookup(id(1)), { id: id(1), name: 'web' });
    ids.remember(id(1), 'web-renamed');
    assert.deepEqual(ids.lookup(id(1)), { id: id(1), name: 'web-renamed' });
  });

  it('never remembers a name or a short id, which may name another container later', () => {
    const ids = new ManagedIds();
    for (const ref of ['web', id(0xabc).slice(0, 12), id(0xabc).toUpperCase(), `${id(0xabc)}0`, `/${id(0xabc).slice(1)}`]) ids.remember(ref, 'web');
    assert.equal(ids.size, 0);
    assert.equal(ids.lookup('web'), undefined);
  });

  it('forgets a container that is gone', () => {
    const ids = new ManagedIds();
    ids.remember(id(3), 'db');
    ids.forget(id(3));
    assert.equal(ids.lookup(id(3)), undefined);
  });

  it('keeps at most its capacity, forgetting the longest unused first', () => {
    const ids = new ManagedIds({ capacity: 2 });
    ids.remember(id(1), 'a');
    ids.remember(id(2), 'b');
    assert.ok(ids.lookup(id(1)), 'a used: b is now the longest unused');
    ids.remember(id(3), 'c');
    assert.equal(ids.size, 2);
    assert.equal(ids.lookup(id(2)), undefined);
    assert.ok(ids.lookup(id(1)));
    assert.ok(ids.lookup(id(3)));
  });

  it('refuses a capacity that is no number of ids', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new ManagedIds({ capacity }), TypeError);
  });
});
