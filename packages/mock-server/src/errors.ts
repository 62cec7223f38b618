import type { ValidationIssue } from '@lormas/protocol';

/**
 * The server's own error codes, each with the HTTP status it answers with. An agent's
 * refusal keeps the agent's code instead (see `agentErrorStatus`).
 */
export const ServerErrorCode = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EXPECTATION_FAILED: 417,
  UPGRADE_REQUIRED: 426,
  TOO_MANY_REQUESTS: 429,
  HEADERS_TOO_LARGE: 431,
  NODE_OFFLINE: 503,
  /** No node can take a container: none online with its engine up (in the cluster asked for). */
  NO_ELIGIBLE_NODE: 503,
  INTERNAL: 500,
} as const;
export type ServerErrorCodeName = keyof typeof ServerErrorCode;

export interface ServerErrorOptions {
  issues?: ValidationIssue[];
  /** Headers the answer must carry, e.g. `Allow` with a 405 (RFC 9110, section 15.5.6). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error the HTTP API answers with `{ error: { code, message, issues? } }`. */
export class ServerError extends Error {
  override name = 'ServerError';
  readonly issues: ValidationIssue[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ServerErrorCodeName,
    message: string,
    options: ServerErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.issues = options.issues;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ServerErrorCode[this.code];
  }
}
