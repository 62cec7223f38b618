import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Postgres, startPostgres } from '@lormas/testkit';
import { Store } from './Store.js';

/** Join codes on either database: a clock of our own, so expiry is a step, not a wait. */
for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`JoinCodeStore on ${backend}`, () => {
    let postgres: Postgres | null = null;
    let databases = 0;
    before(async () => {
      if (backend === 'postgres') postgres = await startPostgres();
    });
    after(async () => {
      await postgres?.stop();
    });
    const setup = async () => {
      let now = 1_000_000;
      const clock = () => now;
      const store =
        backend === 'sqlite' ? new Store({ dataDir: null, now: clock }) : await Store.connect({ databaseUrl: await postgres!.createDatabase(`join_codes_${++databases}`), now: clock });
      const node = await store.nodes.create({ name: 'n1' });
      return { store, node, advance: (ms: number) => (now += ms) };
    };

    it('keeps a hash of the code, never the code', async () => {
      const { store, node } = await setup();
      const { code } = await store.joinCodes.issue(node.id, 60_000);
      const rows = JSON.stringify(await store.db.all('SELECT * FROM join_codes'));
      assert.ok(!rows.includes(code));
      await store.close();
    });

    it('answers the exchange that used a code with its token again while the code lasts, and refuses others as used', async () => {
      const { store, node } = await setup();
      const { code } = await store.joinCodes.issue(node.id, 60_000);
      assert.deepEqual(await store.joinCodes.lookup(code, 'exchange-1'), { kind: 'fresh', nodeId: node.id });
      assert.equal(await store.joinCodes.claim(code, 'exchange-1', 'a.b.c'), true);
      assert.equal(await store.joinCodes.claim(code, 'exchange-2', 'd.e.f'), false);
      assert.deepEqual(await store.joinCodes.lookup(code, 'exchange-1'), { kind: 'repeat', nodeId: node.id, token: 'a.b.c' });
      assert.deepEqual(await store.joinCodes.lookup(code, 'exchange-2'), { kind: 'refused', reason: 'JOIN_CODE_USED' });
      await store.close();
    });

    it('lets exactly one of two exchanges racing for a code claim it', async () => {
      const { store, node } = await setup();
      const { code } = await store.joinCodes.issue(node.id, 60_000);
      const claims = await Promise.all([store.joinCodes.claim(code, 'exchange-1', 'a.b.c'), store.joinCodes.claim(code, 'exchange-2', 'd.e.f')]);
      assert.deepEqual(
        claims.filter((won) => won),
        [true],
      );
      await store.close();
    });

    it('refuses an unknown code, and an expired one as expired, used or not; the kept token goes with the window', async () => {
      const { store, node, advance } = await setup();
      const used = (await store.joinCodes.issue(node.id, 60_000)).code;
      await store.joinCodes.claim(used, 'x', 'a.b.c');
      const other = await store.nodes.create({ name: 'n2' });
      const unused = (await store.joinCodes.issue(other.id, 60_000)).code;
      assert.deepEqual(await store.joinCodes.lookup('no-such-code-at-all-xx', 'x'), { kind: 'refused', reason: 'JOIN_CODE_UNKNOWN' });
      advance(60_000);
      assert.deepEqual(await store.joinCodes.lookup(unused, 'x'), { kind: 'refused', reason: 'JOIN_CODE_EXPIRED' });
      assert.deepEqual(await store.joinCodes.lookup(used, 'x'), { kind: 'refused', reason: 'JOIN_CODE_EXPIRED' });
      assert.equal(await store.joinCodes.claim(unused, 'x', 'a.b.c'), false);
      assert.deepEqual(await store.db.all('SELECT token FROM join_codes WHERE token IS NOT NULL'), []);
      await store.close();
    });

    it("cancels a node's unused code when another is issued", async () => {
      const { store, node } = await setup();
      const first = (await store.joinCodes.issue(node.id, 60_000)).code;
      await store.joinCodes.issue(node.id, 60_000);
      assert.deepEqual(await store.joinCodes.lookup(first, 'x'), { kind: 'refused', reason: 'JOIN_CODE_UNKNOWN' });
      await store.close();
    });
  });
}
