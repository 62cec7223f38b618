import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestFingerprint } from './requestFingerprint.js';

describe('requestFingerprint', () => {
  it('is the same for the same request whatever the key order and operation id', () => {
    const a = requestFingerprint({ operationId: 'op-1', spec: { name: 'web', image: 'x' }, start: true });
    const b = requestFingerprint({ start: true, spec: { image: 'x', name: 'web' }, operationId: 'op-2' });
    assert.equal(a, b);
  });

  it('differs when any field of the request differs', () => {
    const a = requestFingerprint({ operationId: 'op-1', spec: { name: 'web', image: 'x' } });
    const b = requestFingerprint({ operationId: 'op-1', spec: { name: 'web', image: 'y' } });
    assert.notEqual(a, b);
  });

  it('treats an undefined field as absent', () => {
    assert.equal(requestFingerprint({ id: 'c', timeoutSeconds: undefined }), requestFingerprint({ id: 'c' }));
  });
});
