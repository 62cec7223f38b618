import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ServerError } from '../errors.js';
import { refuseSocket } from './refuseSocket.js';

/** The error a failure of Node's HTTP parser or of its timeouts answers with. */
export function clientErrorOf(code: string | undefined): ServerError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ServerError('HEADERS_TOO_LARGE', 'the request line and headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ServerError('PAYLOAD_TOO_LARGE', 'the chunk extensions are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ServerError('REQUEST_TIMEOUT', 'the request was not received in time');
    default:
      return new ServerError('BAD_REQUEST', 'the request is not valid HTTP/1.1');
  }
}

/**
 * The server's `clientError` listener: a request Node's parser refused (bad framing, bad
 * header, headers too large) or one that was too slow. Answers with the API's error body
 * and closes, as Node's default does with a bare status line, and under the same rule:
 * only while no answer to an earlier request on this socket has begun, since bytes written
 * in the middle of another answer would corrupt it (Node's `socketOnError`).
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === 'ECONNRESET' || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  refuseSocket(socket, clientErrorOf(error.code));
}
