import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ServerError } from '../errors.js';
import { answerClientError } from './answerClientError.js';
import { errorReply } from './errorReply.js';
import type { HttpLimits } from './HttpLimits.js';
import { refuseSocket } from './refuseSocket.js';
import { sendJson } from './sendJson.js';

/**
 * A `node:http` server held to `limits`: header size and the header, request and
 * keep-alive timeouts go to Node, which enforces them before any request reaches
 * `handler`. What Node would answer itself, with a bare status line or a closed socket,
 * gets the API's error body: parser failures and timeouts (`answerClientError`), an
 * `Expect` other than `100-continue` (417), and `CONNECT` (405: this is no proxy).
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
  server.on('checkExpectation', (_req, res: ServerResponse) => {
    const { status, body } = errorReply(new ServerError('EXPECTATION_FAILED', 'only Expect: 100-continue is understood'));
    sendJson(res, status, body, { connection: 'close' });
  });
  server.on('connect', (_req, socket) => refuseSocket(socket, new ServerError('METHOD_NOT_ALLOWED', 'this server is not a proxy: CONNECT is not allowed')));
  return server;
}
