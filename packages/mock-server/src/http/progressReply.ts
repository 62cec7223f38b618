import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OperationEvent } from '@lormas/protocol';
import { errorReply } from './errorReply.js';
import { EventStream, streamFormat } from './EventStream.js';
import type { Reply } from './Router.js';

/**
 * Runs a command that reports progress. With `Accept: application/x-ndjson` each operation
 * event is a line, then one `{"type":"result"}` or `{"type":"error"}` line; otherwise the
 * answer is one JSON body with `status`.
 */
export async function progressReply<T>(
  ctx: { req: IncomingMessage; res: ServerResponse },
  status: number,
  run: (onEvent?: (event: OperationEvent) => void) => Promise<T>,
  present: (result: T) => unknown,
): Promise<Reply | void> {
  if (!streamFormat(ctx.req, ['ndjson'])) return { status, body: present(await run()) };
  const stream = new EventStream(ctx.res, 'ndjson');
  try {
    const result = await run((event) => stream.write(event));
    stream.write({ type: 'result', result: present(result) });
    stream.end();
  } catch (error) {
    // Before the first line the client still gets a plain JSON error with its status.
    if (!stream.started) throw error;
    stream.fail(errorReply(error).body.error);
  }
}
