import { jwtVerify } from 'jose';
import type { SigningKey } from './signingKey.js';
import { TokenError } from './TokenError.js';
import { NODE_TOKEN } from './tokenFormat.js';

/** What the registry says of the node a token names: `replaced` when a newer token of the node exists. */
export type NodeStanding = 'active' | 'revoked' | 'unknown' | 'replaced';

export interface VerifyNodeTokenOptions {
  key: SigningKey;
  /**
   * Looks the token's node up, with the token's id (`jti`), so that a revoked node's token, or
   * a node's token that a newer one replaced, fails although its signature holds.
   */
  standingOf(nodeId: string, tokenId: string | undefined): NodeStanding | Promise<NodeStanding>;
  /** The clock expiry is judged by. @default new Date() */
  currentDate?: Date;
}

export interface VerifiedNodeToken {
  nodeId: string;
  /** The token's `jti`, when it has one. */
  tokenId: string | null;
  /** Epoch seconds. */
  issuedAt: number;
  /** Epoch seconds, or null for a token without expiry. */
  expiresAt: number | null;
}

/** Maps jose's error codes to ours. */
function toTokenError(error: unknown): TokenError {
  const { code, claim } = (error ?? {}) as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new TokenError('TOKEN_ALGORITHM', undefined, { cause: error });
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenError('TOKEN_SIGNATURE', undefined, { cause: error });
    case 'ERR_JWT_EXPIRED':
      return new TokenError('TOKEN_EXPIRED', undefined, { cause: error });
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return new TokenError('TOKEN_CLAIM', claim, { cause: error });
    default:
      return new TokenError('TOKEN_MALFORMED', undefined, { cause: error });
  }
}

/**
 * Verifies a node token: the algorithm pinned to `NODE_TOKEN.alg`, the signature, issuer,
 * audience, `typ` header, expiry, and the node's standing. Rejects with a `TokenError`.
 */
export async function verifyNodeToken(token: string | null | undefined, options: VerifyNodeTokenOptions): Promise<VerifiedNodeToken> {
  if (!token) throw new TokenError('TOKEN_MISSING');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, options.key.publicKey, {
      algorithms: [NODE_TOKEN.alg],
      issuer: NODE_TOKEN.issuer,
      audience: NODE_TOKEN.audience,
      typ: NODE_TOKEN.typ,
      requiredClaims: ['sub', 'iat'],
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    }));
  } catch (error) {
    throw toTokenError(error);
  }
  const nodeId = payload.sub!;
  const standing = await options.standingOf(nodeId, payload.jti);
  if (standing === 'revoked') throw new TokenError('TOKEN_REVOKED');
  if (standing === 'replaced') throw new TokenError('TOKEN_REPLACED');
  if (standing === 'unknown') throw new TokenError('TOKEN_UNKNOWN_NODE');
  return { nodeId, tokenId: payload.jti ?? null, issuedAt: payload.iat!, expiresAt: payload.exp ?? null };
}
