import { call } from './http.js';

export interface NodeHealthWatch {
  /** Every sample in which the node was not plainly online, with its time: empty while it always was. */
  readonly trouble: string[];
  stop(): void;
}

/**
 * Samples the server's own judgement of a node (`GET /api/nodes/:id`) every `intervalMs`,
 * well within its check interval, and notes each time the node was not online and healthy
 * (`suspect`, `lost`, offline) or the server did not answer. For fuzzers, whose real agent
 * must stay online whatever the fuzz sends.
 */
export function watchNodeHealth(server: { url: string; adminToken: string }, nodeId: string, intervalMs = 50): NodeHealthWatch {
  const trouble: string[] = [];
  let sampling = false;
  const timer = setInterval(() => {
    if (sampling) return;
    sampling = true;
    call(server, 'GET', `/api/nodes/${nodeId}`)
      .then(({ body }) => {
        if (body?.status !== 'online' || body?.health !== 'online') trouble.push(`${new Date().toISOString()} ${body?.status}/${body?.health}, silent ${body?.silentMs} ms`);
      })
      .catch((error: unknown) => trouble.push(`${new Date().toISOString()} no answer: ${String(error)}`))
      .finally(() => (sampling = false));
  }, intervalMs);
  return { trouble, stop: () => clearInterval(timer) };
}
