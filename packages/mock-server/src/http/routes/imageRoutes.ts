import { z } from 'zod';
import type { ApiContext } from '../ApiContext.js';
import { progressReply } from '../progressReply.js';
import type { Router } from '../Router.js';

export const PullImage = z.strictObject({ image: z.string().trim().min(1).max(512).regex(/^[^\s\u0000-\u001f\u007f]+$/, 'an image reference: no spaces or control characters') });

/** Image pulls on a node, streamed as NDJSON progress when asked. */
export function imageRoutes(router: Router, api: ApiContext): void {
  router.add('POST', '/api/nodes/:id/images/pull', { body: PullImage }, (ctx) =>
    progressReply(ctx, 200, (onEvent) => api.containers.pull(ctx.params['id']!, ctx.body.image, onEvent), (result) => result),
  );
}
