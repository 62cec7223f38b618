import type { ErrorCodeName } from '@lormas/protocol';

/**
 * The HTTP status an agent's error code answers with. A guard rail's refusal is the
 * caller's fault and final (403); an agent that is away or slow is the gateway's (503/504);
 * an engine failure behind the agent is a bad gateway (502); an agent at one of its caps asks
 * the caller to come back later (429).
 */
export function agentErrorStatus(code: ErrorCodeName): number {
  switch (code) {
    case 'BAD_INPUT':
      return 400;
    case 'POLICY_DENIED':
    case 'NOT_MANAGED':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'OPERATION_ID_REUSED':
      return 409;
    case 'LIMIT_EXCEEDED':
      return 429;
    case 'NOT_SUPPORTED':
      return 501;
    case 'ENGINE_UNAVAILABLE':
    case 'ENGINE_ERROR':
    case 'BAD_AGENT_OUTPUT':
      return 502;
    case 'AGENT_UNAVAILABLE':
    case 'SHUTTING_DOWN':
      return 503;
    case 'AGENT_TIMEOUT':
      return 504;
    case 'INTERNAL':
      return 500;
  }
}
