import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JoinRequest } from '@lormas/protocol';
import { keptExchangeId } from './JoinState.js';

describe('keptExchangeId', () => {
  const code = 'c'.repeat(64);
  const id = 'AbC_-0123456789abcdefg';

  it("returns the kept id for the same code's SHA-256", () => {
    assert.equal(keptExchangeId({ codeSha256: code, exchangeId: id }, code), id);
    assert.equal(keptExchangeId({ codeSha256: code, exchangeId: 'x'.repeat(64) }, code), 'x'.repeat(64));
  });

  it("returns null for no file, another code's id, or a value that is no object", () => {
    for (const value of [undefined, null, 'text', 7, [code, id], { codeSha256: 'd'.repeat(64), exchangeId: id }, { exchangeId: id }]) {
      assert.equal(keptExchangeId(value, code), null, JSON.stringify(value));
    }
  });

  it("returns null for an id the protocol's JoinRequest would refuse, and only for those", () => {
    const ids = [id, 'x'.repeat(21), 'x'.repeat(65), 'x'.repeat(10_000), `${'x'.repeat(21)}=`, `${'x'.repeat(21)}/`, `${'x'.repeat(21)} `, '', 42, null, { id }];
    for (const exchangeId of ids) {
      const valid = JoinRequest.safeParse({ code: 'k'.repeat(22), exchangeId, protocolVersion: '1.1' }).success;
      assert.equal(keptExchangeId({ codeSha256: code, exchangeId }, code), valid ? exchangeId : null, JSON.stringify(exchangeId).slice(0, 40));
      assert.equal(valid, exchangeId === id, JSON.stringify(exchangeId).slice(0, 40));
    }
  });
});
