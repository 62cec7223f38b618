/**
 * tRPC's error codes as they travel: the JSON-RPC 2.0 number in `error.code` and the HTTP
 * status in `error.data.httpStatus`, for each tRPC code name the link uses.
 * @see https://trpc.io/docs/rpc#error-codes---json-rpc-20-error-codes
 */
export const RpcCode = {
  PARSE_ERROR: { number: -32700, httpStatus: 400 },
  BAD_REQUEST: { number: -32600, httpStatus: 400 },
  FORBIDDEN: { number: -32003, httpStatus: 403 },
  NOT_FOUND: { number: -32004, httpStatus: 404 },
  METHOD_NOT_SUPPORTED: { number: -32005, httpStatus: 405 },
  TIMEOUT: { number: -32008, httpStatus: 408 },
  CONFLICT: { number: -32009, httpStatus: 409 },
  TOO_MANY_REQUESTS: { number: -32029, httpStatus: 429 },
  INTERNAL_SERVER_ERROR: { number: -32603, httpStatus: 500 },
  BAD_GATEWAY: { number: -32603, httpStatus: 502 },
  SERVICE_UNAVAILABLE: { number: -32603, httpStatus: 503 },
} as const;

export type RpcCodeName = keyof typeof RpcCode;
