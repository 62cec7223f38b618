import { forEachPart } from './http.js';

/** One Server-Sent Event as read off the wire. */
export interface SseEvent {
  event: string;
  id: string | null;
  data: any;
}

/**
 * Reads a `text/event-stream` answer with fetch, for tests: `next(what)` waits (with an
 * expiry) for the next event matching `what`; `close()` ends the request.
 */
export async function openSse(url: string, headers: Record<string, string>) {
  const aborter = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: aborter.signal });
  const events: SseEvent[] = [];
  // Boxed: assigned inside a promise callback, which narrowing cannot see.
  const wake: { waiter: (() => void) | null } = { waiter: null };
  let ended = false;
  void (async () => {
    await forEachPart(res.body, '\n\n', (block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
      }
      if (fields['data'] !== undefined) events.push({ event: fields['event'] ?? 'message', id: fields['id'] ?? null, data: JSON.parse(fields['data']) });
      wake.waiter?.();
    });
    ended = true;
    wake.waiter?.();
  })();
  let read = 0;
  return {
    status: res.status,
    events,
    get ended() {
      return ended;
    },
    /** The next unread event for which `match` holds (others are skipped). */
    async next(match: (event: SseEvent) => boolean = () => true, timeoutMs = 5_000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (read < events.length) {
          const event = events[read++]!;
          if (match(event)) return event;
        }
        if (ended) throw new Error('the stream ended');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake.waiter = () => {
            clearTimeout(timer);
            wake.waiter = null;
            resolve();
          };
        });
      }
    },
    close: () => aborter.abort(),
  };
}
