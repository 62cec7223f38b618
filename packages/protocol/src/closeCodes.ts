/**
 * WebSocket close codes used on the agent link. 1000-1015 are RFC 6455's own; the 4xxx
 * range is private use (RFC 6455 section 7.4.2) and mirrors HTTP statuses, as graphql-ws does.
 */
export const CloseCode = {
  /** Orderly close, for example an agent shutting down. */
  Normal: 1000,
  /** The peer goes away: server restart or agent shutdown. */
  GoingAway: 1001,
  /** A frame exceeded the receiver's `maxPayload`. Sent by `ws` itself. */
  MessageTooBig: 1009,
  /** Unexpected failure inside the peer. */
  InternalError: 1011,
  /** The agent's request could not be understood (bad URL, missing header). */
  BadRequest: 4400,
  /** No token, or a token that failed verification (signature, issuer, audience, expiry). */
  Unauthorized: 4401,
  /** The node was deleted on the server; its token will never work again. */
  Revoked: 4403,
  /** The agent did not answer `hello` in time. */
  HelloTimeout: 4408,
  /** Another connection of the same node took this one's place. */
  Superseded: 4409,
  /**
   * The agent sent what the wire format does not allow (a binary frame, a frame that is not
   * a JSON object of the right shape), or too many stream items that break the contract.
   */
  ProtocolViolation: 4422,
  /** The agent speaks a protocol major version that this server does not. */
  ProtocolVersionUnsupported: 4426,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeNumber = (typeof CloseCode)[CloseCodeName];

/**
 * What the agent does after its socket closed with `code`.
 *
 * - `retry`: a transient cause (network, server restart, a superseded socket that is
 *   ours again): dial again with the normal backoff.
 * - `retry-slowly`: the server refused this agent as it is (bad or revoked token, an
 *   incompatible version, another agent holding the same node, an agent that broke the
 *   protocol and would break it again). Dialling again at full
 *   speed cannot help and only loads the server, yet an operator may fix the cause on the
 *   server without touching the node, so the agent keeps trying at the slow interval
 *   instead of exiting (a systemd restart loop would hammer just the same).
 */
export function closeAction(code: number): 'retry' | 'retry-slowly' {
  switch (code) {
    case CloseCode.Unauthorized:
    case CloseCode.Revoked:
    case CloseCode.ProtocolVersionUnsupported:
    case CloseCode.Superseded:
    case CloseCode.BadRequest:
    case CloseCode.ProtocolViolation:
      return 'retry-slowly';
    default:
      return 'retry';
  }
}

/** The name of a known close code, for logs. */
export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
  return `Unknown(${code})`;
}

/** RFC 6455 allows a close reason of at most 123 bytes of UTF-8; longer text is cut at a character boundary. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 123);
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}
