import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseCode, closeAction, closeCodeName } from './closeCodes.js';
import { isCompatibleProtocol, PROTOCOL_VERSION } from './version.js';

describe('closeAction', () => {
  it('retries slowly after a refusal that dialling again cannot fix', () => {
    for (const code of [CloseCode.Unauthorized, CloseCode.Revoked, CloseCode.ProtocolVersionUnsupported, CloseCode.Superseded]) {
      assert.equal(closeAction(code), 'retry-slowly', closeCodeName(code));
    }
  });

  it('retries normally after a transient close', () => {
    for (const code of [CloseCode.Normal, CloseCode.GoingAway, 1006, CloseCode.MessageTooBig, CloseCode.InternalError, CloseCode.HelloTimeout]) {
      assert.equal(closeAction(code), 'retry', closeCodeName(code));
    }
  });

  it('names unknown codes', () => {
    assert.equal(closeCodeName(4999), 'Unknown(4999)');
    assert.equal(closeCodeName(4401), 'Unauthorized');
  });
});

describe('isCompatibleProtocol', () => {
  it('accepts the same major version with any minor', () => {
    assert.ok(isCompatibleProtocol(PROTOCOL_VERSION));
    assert.ok(isCompatibleProtocol('1.7', '1.0'));
  });

  it('refuses another major version or a malformed one', () => {
    assert.ok(!isCompatibleProtocol('2.0', '1.0'));
    assert.ok(!isCompatibleProtocol('1', '1.0'));
    assert.ok(!isCompatibleProtocol('', '1.0'));
  });
});
