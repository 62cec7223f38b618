import { z } from 'zod';
import type { ApiContext } from '../ApiContext.js';
import type { LiveEventMap } from '../apiTypes.js';
import { EventStream } from '../EventStream.js';
import type { Router } from '../Router.js';

/** Where a reader without `Last-Event-ID` (a page that cannot set the header) resumes. */
export const EventsQuery = z.object({ lastEventId: z.string().max(256).optional() });

/**
 * `GET /api/events`: the live stream, as Server-Sent Events. A reader that comes back with
 * `Last-Event-ID` (browsers send it on their own when they reconnect) first gets what it
 * missed from the replay buffer, or a `reset` when the buffer no longer holds it; a new
 * reader first gets `hello` with the current id. `GET /api/samples`: the sparkline rings.
 */
export function eventRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/api/events', { query: EventsQuery }, ({ req, res, query }) => {
    const { log } = api.live;
    const stream = new EventStream(res, 'sse', { maxBufferedBytes: api.eventsMaxBufferedBytes, flushIntervalMs: api.eventsFlushIntervalMs });
    stream.start();
    const header = req.headers['last-event-id'];
    const lastId = (Array.isArray(header) ? header[0] : header) ?? query.lastEventId;
    if (!lastId) {
      stream.write({ epoch: log.epoch } satisfies LiveEventMap['hello'], { event: 'hello', id: log.lastId });
    } else {
      const replay = log.since(lastId);
      if (replay.kind === 'reset') stream.write({ reason: replay.reason } satisfies LiveEventMap['reset'], { event: 'reset', id: log.lastId });
      else for (const event of replay.events) if (!stream.write(event.data, { event: event.type, id: event.id })) return;
    }
    const leave = log.subscribe((event) => {
      if (!stream.write(event.data, { event: event.type, id: event.id })) leave();
    });
    const keepAlive = setInterval(() => stream.comment('keep-alive'), api.eventsKeepAliveMs);
    stream.signal.addEventListener(
      'abort',
      () => {
        leave();
        clearInterval(keepAlive);
      },
      { once: true },
    );
  });

  router.add('GET', '/api/samples', async () => {
    const { samples } = api.live;
    const nodes: Record<string, { at: number; cpuPercent: number; memoryPercent: number }[]> = {};
    for (const node of await api.store.nodes.list()) nodes[node.id] = [...samples.get(node.id)];
    return { status: 200, body: { samplesPerNode: samples.samplesPerNode, sampleIntervalMs: samples.sampleIntervalMs, nodes } };
  });
}
