/** The file in the state folder that keeps the exchange id of a join in progress. */
export const JOIN_STATE_FILE = 'join.json';

/** What `join.json` holds: the exchange id chosen for one join code. */
export interface JoinState {
  /** SHA-256 of the code the exchange id belongs to: a new code gets a new id. */
  codeSha256: string;
  /** 128 random bits, base64url: 22 characters as written, 22 to 64 as the protocol's `JoinRequest` takes it. */
  exchangeId: string;
}

/** The shape of `JoinRequest.exchangeId` in the protocol; the test holds the two together. */
const EXCHANGE_ID = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * The exchange id `join.json` keeps for the code whose SHA-256 is `codeSha256`, or `null`:
 * no file, another code's, or a value of another shape (a file cut short, or written by
 * hand). A kept id the server's `JoinRequest` would refuse would fail every join of this
 * code until someone removed the file; a new one is chosen instead.
 */
export function keptExchangeId(value: unknown, codeSha256: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { codeSha256: kept, exchangeId } = value as Record<string, unknown>;
  if (kept !== codeSha256 || typeof exchangeId !== 'string' || !EXCHANGE_ID.test(exchangeId)) return null;
  return exchangeId;
}
