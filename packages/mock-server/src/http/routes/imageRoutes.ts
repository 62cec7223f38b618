import { z } from 'zod';
import type { ApiContext } from '../ApiContext.js';
import { progressReply } from '../progressReply.js';
import { readJson } from '../readJson.js';
import type { Router } from '../Router.js';

const PullImage = z.strictObject({ image: z.string().trim().min(1).max(512) });

/** Image pulls on a node, streamed as NDJSON progress when asked. */
export function imageRoutes(router: Router, api: ApiContext): void {
  router.add('POST', '/api/nodes/:id/images/pull', async (ctx) => {
    const body = await readJson(ctx.req, PullImage, api.maxBodyBytes);
    return progressReply(ctx, 200, (onEvent) => api.containers.pull(ctx.params['id']!, body.image, onEvent), (result) => result);
  });
}
