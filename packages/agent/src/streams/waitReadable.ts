import type { Readable } from 'node:stream';

/**
 * Resolves when `stream` has data to `read()` (`'readable'`), has nothing more to give
 * (`'end'`: ended, or destroyed without an error), or, given `timeoutMs`, when that passed
 * first (`'timeout'`); rejects with the stream's error. Reading with `read()` in a loop
 * instead of `for await` lets the caller see when the engine has nothing buffered, which is
 * when a partly filled chunk is worth sending.
 */
export function waitReadable(stream: Readable, timeoutMs?: number): Promise<'readable' | 'end' | 'timeout'> {
  if (stream.errored) return Promise.reject(stream.errored);
  if (stream.readableEnded || stream.destroyed) return Promise.resolve('end');
  if (stream.readableLength > 0) return Promise.resolve('readable');
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      outcome();
    };
    const onReadable = () => settle(() => resolve('readable'));
    const onEnd = () => settle(() => (stream.errored ? reject(stream.errored) : resolve('end')));
    const onError = (error: Error) => settle(() => reject(error));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => settle(() => resolve('timeout')), timeoutMs);
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onError);
  });
}
