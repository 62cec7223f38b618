/** Why a node token was refused. Messages are fixed and bland: nothing about the key leaks. */
export const TokenErrorCode = {
  TOKEN_MISSING: 'no token',
  TOKEN_MALFORMED: 'the token is not a well-formed JWT',
  TOKEN_ALGORITHM: 'the token is signed with an algorithm that is not accepted',
  TOKEN_SIGNATURE: 'the token signature does not verify',
  TOKEN_EXPIRED: 'the token has expired',
  TOKEN_CLAIM: 'a token claim has an unexpected value',
  TOKEN_UNKNOWN_NODE: 'the token names no registered node',
  TOKEN_REVOKED: 'the node of this token was revoked',
  TOKEN_REPLACED: 'a newer token was issued for this node',
} as const;
export type TokenErrorCodeName = keyof typeof TokenErrorCode;

/** A refused node token. `claim` names the claim or header that failed, for `TOKEN_CLAIM`. */
export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    readonly code: TokenErrorCodeName,
    readonly claim?: string,
    options?: { cause?: unknown },
  ) {
    super(TokenErrorCode[code], options);
  }
}
