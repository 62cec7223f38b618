import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { answerClientError } from './answerClientError.js';
import type { HttpLimits } from './HttpLimits.js';

/**
 * A `node:http` server held to `limits`: header size and the header, request and
 * keep-alive timeouts go to Node, which enforces them before any request reaches
 * `handler`; what Node refuses is answered by `answerClientError` with the API's error body.
 */
export function createHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void, limits: HttpLimits): Server {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // The API checks Host itself, to answer with its own error body (see createApi).
      requireHostHeader: false,
    },
    handler,
  );
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  server.on('clientError', answerClientError);
  return server;
}
