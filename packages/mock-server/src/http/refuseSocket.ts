import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerError } from '../errors.js';
import { errorReply } from './errorReply.js';

/**
 * Answers on a bare socket, where Node gives no response object (a request its parser
 * refused, an upgrade request refused before `ws` sees it), with the API's own error body,
 * then closes it. A peer that does not read the answer within `graceMs` is cut off.
 */
export function refuseSocket(socket: Duplex, error: ServerError, graceMs = 1_000): void {
  socket.on('error', () => socket.destroy());
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body, headers } = errorReply(error);
  const text = `${JSON.stringify(body)}\n`;
  const fields = {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    connection: 'close',
  };
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(fields).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  socket.once('finish', () => socket.destroy());
  socket.end(`${head}\r\n\r\n${text}`);
  setTimeout(() => socket.destroy(), graceMs).unref();
}
