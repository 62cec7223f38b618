import type { IncomingMessage } from 'node:http';
import { ServerError } from '../errors.js';

/**
 * A request body of at most `maxBytes`. A declared `Content-Length` over it is refused before
 * a byte is read; a chunked body as soon as it grows past it. Either way the rest is left
 * unread (the error answer closes the connection), and the stream is not destroyed, so the
 * 413 can still be written. A body cut off by the client is a `BAD_REQUEST`.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new ServerError('PAYLOAD_TOO_LARGE', `the body may be at most ${maxBytes} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.reject(tooLarge());
  if (req.complete && req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: ServerError | null) => {
      if (settled) return;
      settled = true;
      // The 'error' listener stays: an IncomingMessage that errs with none would throw.
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      if (error) {
        req.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onCut = () => finish(new ServerError('BAD_REQUEST', 'the body was cut off before its end'));
    const onClose = () => {
      if (!req.complete) onCut();
    };
    req.on('data', onData).on('end', onEnd).on('error', onCut).on('close', onClose);
  });
}
