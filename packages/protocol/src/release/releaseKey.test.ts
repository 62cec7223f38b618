import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeReleaseKey, parseReleaseKey, verifyManifestSignature } from './releaseKey.js';

describe('release keys', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const key = parseReleaseKey(encodeReleaseKey(publicKey));
  const manifest = '{"format":"lormas-agent-release/1","version":"1.0.0"}';
  const signature = sign(null, Buffer.from(manifest), privateKey).toString('base64');

  it('reads a key as base64 of its 32 bytes, its fingerprint the SHA-256 of those bytes', () => {
    assert.equal(key.raw.length, 32);
    assert.equal(key.fingerprint, createHash('sha256').update(key.raw).digest('hex'));
  });

  it('refuses a key that is not 32 bytes of base64, naming the form', () => {
    for (const bad of ['', 'not a key', Buffer.alloc(31).toString('base64'), `${encodeReleaseKey(publicKey)}AA`]) {
      assert.throws(() => parseReleaseKey(bad), /base64 of its 32 bytes/);
    }
  });

  it("accepts the key's signature over the manifest's exact bytes, and nothing else", () => {
    assert.equal(verifyManifestSignature(manifest, signature, key), true);
    assert.equal(verifyManifestSignature(`${manifest} `, signature, key), false);
    assert.equal(verifyManifestSignature(manifest.replace('1.0.0', '9.0.0'), signature, key), false);
    const other = generateKeyPairSync('ed25519');
    assert.equal(verifyManifestSignature(manifest, sign(null, Buffer.from(manifest), other.privateKey).toString('base64'), key), false);
    assert.equal(verifyManifestSignature(manifest, 'AAAA', key), false);
  });
});
