/**
 * The shape of a node token. Each is checked on verification, so a JWT minted for another
 * purpose (another issuer, audience or `typ`) cannot pass as a node token; see RFC 8725
 * sections 3.11 and 3.12 on explicit typing and audience.
 */
export const NODE_TOKEN = {
  /** The only algorithm signed and accepted (Ed25519). Pinned: `none` and HMAC are refused. */
  alg: 'EdDSA',
  /** The `typ` header. */
  typ: 'lormas-node+jwt',
  issuer: 'lormas-mock-server',
  audience: 'lormas-agent-link',
} as const;
