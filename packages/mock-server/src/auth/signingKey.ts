import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { newId } from '../store/ids.js';
import type { KeyStore } from '../store/KeyStore.js';
import { NODE_TOKEN } from './tokenFormat.js';

/** The key node tokens are signed and verified with. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/**
 * Reads the signing key from the store, making and storing one on first use. Kept in the
 * database so that tokens issued before a restart still verify after it.
 */
export async function loadSigningKey(keys: KeyStore): Promise<SigningKey> {
  let record = await keys.current();
  if (!record) {
    const pair = await generateKeyPair(NODE_TOKEN.alg, { extractable: true });
    await keys.add({
      kid: newId('key'),
      alg: NODE_TOKEN.alg,
      privateJwk: JSON.stringify(await exportJWK(pair.privateKey)),
      publicJwk: JSON.stringify(await exportJWK(pair.publicKey)),
    });
    // Read back, not kept: replicas that started together on an empty database all use the first key stored.
    record = (await keys.current())!;
  }
  if (record.alg !== NODE_TOKEN.alg) throw new Error(`the stored signing key ${record.kid} is for ${record.alg}; this server signs with ${NODE_TOKEN.alg}`);
  const privateKey = (await importJWK(JSON.parse(record.privateJwk) as JWK, record.alg)) as CryptoKey;
  const publicKey = (await importJWK(JSON.parse(record.publicJwk) as JWK, record.alg)) as CryptoKey;
  return { kid: record.kid, privateKey, publicKey };
}
