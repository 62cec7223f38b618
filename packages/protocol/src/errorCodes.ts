/**
 * Stable error codes an agent puts on every refused or failed call. Callers switch on
 * these, never on message text. Each maps to the tRPC code that carries it.
 */
export const ErrorCode = {
  /** The input failed schema validation; `issues` lists every problem. */
  BAD_INPUT: 'BAD_REQUEST',
  /** A guard rail refused the request; `rule` names it. Nothing was done. */
  POLICY_DENIED: 'FORBIDDEN',
  /** The container exists but this agent did not create it, so it will not touch it. */
  NOT_MANAGED: 'FORBIDDEN',
  /** No such container, image or operation. */
  NOT_FOUND: 'NOT_FOUND',
  /** The name is taken, or the container is in a state that forbids the call. */
  CONFLICT: 'CONFLICT',
  /** The operation id was used before for a different request. */
  OPERATION_ID_REUSED: 'CONFLICT',
  /** The Docker engine cannot be reached. */
  ENGINE_UNAVAILABLE: 'INTERNAL_SERVER_ERROR',
  /** The Docker engine refused or failed; `engineStatus` holds its HTTP status. */
  ENGINE_ERROR: 'INTERNAL_SERVER_ERROR',
  /** The agent is shutting down and takes no new commands. */
  SHUTTING_DOWN: 'SERVICE_UNAVAILABLE',
  /** The agent did not answer in time. Raised on the server side of the link. */
  AGENT_TIMEOUT: 'TIMEOUT',
  /** The agent is not connected and the call could not be delivered. */
  AGENT_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** The agent answered with a value the contract does not allow. Raised on the server side of the link. */
  BAD_AGENT_OUTPUT: 'BAD_GATEWAY',
  /** A documented cap was reached (running operations, watchers, subscriptions); try again later. */
  LIMIT_EXCEEDED: 'TOO_MANY_REQUESTS',
  /** The agent's announced protocol version lacks the procedure or field. Raised on the server side of the link. */
  NOT_SUPPORTED: 'METHOD_NOT_SUPPORTED',
  /** Anything else. */
  INTERNAL: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export const errorCodeNames = Object.keys(ErrorCode) as [ErrorCodeName, ...ErrorCodeName[]];
