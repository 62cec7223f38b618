import type { IncomingMessage } from 'node:http';
import { CloseCode } from '@lormas/protocol';
import { LinkRefusal, type NodeIdentity } from '@lormas/protocol/server';
import type { SigningKey } from '../auth/signingKey.js';
import { TokenError } from '../auth/TokenError.js';
import { type NodeStanding, verifyNodeToken } from '../auth/verifyNodeToken.js';
import type { Logger } from '../logger.js';

/** Who a dialling agent is: its node, and which of the node's tokens it showed. */
export interface AgentIdentity extends NodeIdentity {
  tokenId: string | null;
}

export interface AgentAuthenticatorOptions {
  key: SigningKey;
  standingOf(nodeId: string, tokenId: string | undefined): NodeStanding | Promise<NodeStanding>;
  logger: Logger;
  /** Epoch milliseconds; expiry is judged by it. @default Date.now */
  now?: () => number;
}

/**
 * The token of an upgrade request: the `Authorization: Bearer` header, else the `token`
 * query parameter (what the seed's agents send).
 */
export function tokenOf(request: IncomingMessage): string | null {
  const header = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (header) return header[1]!;
  return new URL(request.url ?? '/', 'http://agent.invalid').searchParams.get('token');
}

/**
 * Decides which node a dialling agent is. Every refusal closes with `Unauthorized`: a
 * refused peer learns only that it was refused, while the log line names the reason (never
 * the token). A node revoked while connected is closed with `Revoked` by the gateway instead.
 */
export function createAgentAuthenticator(options: AgentAuthenticatorOptions): (request: IncomingMessage) => Promise<AgentIdentity> {
  const now = options.now ?? Date.now;
  return async (request) => {
    try {
      const verified = await verifyNodeToken(tokenOf(request), { key: options.key, standingOf: options.standingOf, currentDate: new Date(now()) });
      return { nodeId: verified.nodeId, tokenId: verified.tokenId };
    } catch (error) {
      const reason = error instanceof TokenError ? error.code : 'TOKEN_MALFORMED';
      const claim = error instanceof TokenError ? error.claim : undefined;
      options.logger.warn('agent refused', { reason, claim, remote: request.socket.remoteAddress });
      throw new LinkRefusal(CloseCode.Unauthorized, 'unauthorized');
    }
  };
}
