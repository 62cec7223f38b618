import { AgentError, type LogEntry, type LogsInput } from '@lormas/protocol';
import { z } from 'zod';
import type { ApiContext } from '../ApiContext.js';
import { errorReply } from '../errorReply.js';
import { EventStream, streamFormat } from '../EventStream.js';
import type { Router } from '../Router.js';

/** A flag: present with no value, `1`, `true` or `yes` is true; `0`, `false` or `no` is false. */
const Flag = z
  .string()
  .regex(/^(|1|true|yes|0|false|no)$/i, 'true or false')
  .transform((value) => ['', '1', 'true', 'yes'].includes(value.toLowerCase()));

/** `since`/`until`: epoch seconds, or an RFC 3339 date-time, as the agent takes them. */
const Time = z.union([z.string().regex(/^\d{1,12}(\.\d{1,9})?$/, 'epoch seconds').transform(Number), z.iso.datetime({ offset: true })]);

export const LogsQuery = z.object({
  follow: Flag.optional(),
  /** A number of lines, or `all`. */
  tail: z
    .string()
    .regex(/^(\d{1,9}|all)$/, 'a number of lines or "all"')
    .optional(),
  since: Time.optional(),
  until: Time.optional(),
  stdout: Flag.optional(),
  stderr: Flag.optional(),
  timestamps: Flag.optional(),
});

function logsInput(id: string, query: z.output<typeof LogsQuery>): LogsInput {
  return {
    id,
    follow: query.follow ?? false,
    ...(query.tail !== undefined && query.tail !== 'all' ? { tail: Number(query.tail) } : {}),
    ...(query.since !== undefined ? { since: query.since } : {}),
    ...(query.until !== undefined ? { until: query.until } : {}),
    stdout: query.stdout ?? true,
    stderr: query.stderr ?? true,
  };
}

/**
 * A container's logs, streamed from its agent as NDJSON (one entry a line) or, with
 * `Accept: text/event-stream`, as Server-Sent Events. The agent's stream ends when the
 * HTTP client goes away. A plain follow (both streams, no `since` or `until`, a `tail` of
 * at most the shared tail) joins the container's shared stream: every such viewer costs
 * the agent nothing more than the first.
 */
export function logRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/api/containers/:id/logs', { query: LogsQuery }, async ({ req, res, params, query }) => {
    const record = await api.store.containers.require(params['id']!);
    const input = logsInput(record.dockerId ?? record.name, query);
    const timestamps = query.timestamps ?? false;
    const client = api.gateway.client(record.nodeId);
    const stream = new EventStream(res, streamFormat(req, ['sse', 'ndjson']) ?? 'ndjson');
    stream.start();
    const present = (entry: LogEntry) => (timestamps ? entry : { stream: entry.stream, line: entry.line });
    const ended = (error: unknown | null) => {
      if (error) return stream.fail(errorReply(AgentError.from(error)).body.error);
      if (stream.format === 'sse') stream.write({}, { event: 'end' });
      stream.end();
    };
    const tail = input.tail ?? Infinity;
    if (input.follow && input.since === undefined && input.until === undefined && input.stdout !== false && input.stderr !== false && tail <= api.logs.tailLines) {
      const leave = api.logs.join(
        `${record.id}/${input.id}`,
        { entries: (entries) => entries.forEach((entry) => stream.write(present(entry), { event: 'log' })), end: ended },
        tail,
        (handlers, firstTail) =>
          client.containers.logs.subscribe(
            { ...input, tail: firstTail },
            { onData: ({ data }) => handlers.onEntries(data.entries), onError: handlers.onError, onComplete: handlers.onComplete },
          ),
      );
      stream.signal.addEventListener('abort', leave, { once: true });
      return;
    }
    const subscription = client.containers.logs.subscribe(input, {
      onData: ({ id, data }) => {
        data.entries.forEach((entry, index) => {
          // The chunk's id names its last entry: only there may an SSE client resume.
          stream.write(present(entry), { event: 'log', ...(index === data.entries.length - 1 ? { id } : {}) });
        });
        // In cluster mode a stream from another replica waits for this: the brake reaches the agent.
        return stream.drained();
      },
      onError: (error) => ended(error),
      onComplete: () => ended(null),
    });
    stream.signal.addEventListener('abort', () => subscription.unsubscribe(), { once: true });
  });
}
