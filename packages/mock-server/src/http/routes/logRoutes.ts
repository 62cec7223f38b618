import { AgentError, type LogEntry, type LogsInput } from '@lormas/protocol';
import { ServerError } from '../../errors.js';
import type { ApiContext } from '../ApiContext.js';
import { errorReply } from '../errorReply.js';
import { EventStream, streamFormat } from '../EventStream.js';
import type { Router } from '../Router.js';

/** A flag query parameter: present with no value, `1`, `true` or `yes` is true. */
function flag(params: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = params.get(name);
  if (value === null) return fallback;
  if (['', '1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  throw new ServerError('BAD_REQUEST', `query parameter ${name} must be true or false`);
}

/** `since`/`until`: epoch seconds or an RFC 3339 date. */
function time(params: URLSearchParams, name: string): number | string | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  if (!Number.isNaN(Date.parse(value))) return value;
  throw new ServerError('BAD_REQUEST', `query parameter ${name} must be epoch seconds or an RFC 3339 date`);
}

function logsQuery(id: string, params: URLSearchParams): LogsInput {
  const tail = params.get('tail');
  if (tail !== null && tail !== 'all' && !/^\d+$/.test(tail)) throw new ServerError('BAD_REQUEST', 'query parameter tail must be a number or "all"');
  return {
    id,
    follow: flag(params, 'follow', false),
    ...(tail !== null && tail !== 'all' ? { tail: Number(tail) } : {}),
    ...(time(params, 'since') !== undefined ? { since: time(params, 'since') } : {}),
    ...(time(params, 'until') !== undefined ? { until: time(params, 'until') } : {}),
    stdout: flag(params, 'stdout', true),
    stderr: flag(params, 'stderr', true),
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
  router.add('GET', '/api/containers/:id/logs', async ({ req, res, params, url }) => {
    const record = await api.store.containers.require(params['id']!);
    const input = logsQuery(record.dockerId ?? record.name, url.searchParams);
    const timestamps = flag(url.searchParams, 'timestamps', false);
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
