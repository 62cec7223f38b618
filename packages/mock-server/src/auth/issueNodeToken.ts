import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './signingKey.js';
import { NODE_TOKEN } from './tokenFormat.js';

export interface IssueNodeTokenOptions {
  nodeId: string;
  key: SigningKey;
  /** Lifetime of the token in seconds; `null` issues one without expiry. @default null */
  ttlSeconds?: number | null;
  /** Issue time, epoch milliseconds. @default Date.now() */
  now?: number;
  /** The token's id (`jti`), for a registry that keeps which token is the node's valid one. @default a random UUID */
  tokenId?: string;
}

/** Signs a node token: the node id as subject, with issuer, audience, `typ`, issue time and optional expiry. */
export async function issueNodeToken(options: IssueNodeTokenOptions): Promise<string> {
  const issuedAt = Math.floor((options.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: NODE_TOKEN.alg, typ: NODE_TOKEN.typ, kid: options.key.kid })
    .setIssuer(NODE_TOKEN.issuer)
    .setAudience(NODE_TOKEN.audience)
    .setSubject(options.nodeId)
    .setIssuedAt(issuedAt)
    .setJti(options.tokenId ?? randomUUID());
  if (options.ttlSeconds != null) jwt.setExpirationTime(issuedAt + options.ttlSeconds);
  return jwt.sign(options.key.privateKey);
}
