import { z } from 'zod';
import { ServerError } from '../../errors.js';
import type { ApiContext } from '../ApiContext.js';
import { errorReply } from '../errorReply.js';
import { EventStream, streamFormat } from '../EventStream.js';
import { Reference } from '../fields.js';
import type { Router } from '../Router.js';
import { migrationView } from '../views.js';

export const Migrate = z.strictObject({
  /** Where to; chosen as failover would (same cluster, preferred cluster, least loaded) when absent. */
  targetNodeId: Reference.optional(),
});

export const MigrationListQuery = z.object({ containerId: Reference.optional() });

/** Planned migration, the migration history, and failover's view of the nodes. */
export function migrationRoutes(router: Router, api: ApiContext): void {
  router.add('POST', '/api/containers/:id/migrate', { body: Migrate }, async ({ req, res, params, body }) => {
    if (!streamFormat(req, ['ndjson'])) {
      // Answered at once; the caller polls GET /api/migrations/:id for progress.
      const { migration, done } = await api.migrations.start(params['id']!, body.targetNodeId);
      done.catch(() => {});
      return { status: 202, body: migrationView((await api.store.migrations.get(migration.id)) ?? migration) };
    }
    const stream = new EventStream(res, 'ndjson');
    const { migration, done } = await api.migrations.start(params['id']!, body.targetNodeId, (migrationId, step) =>
      stream.write({ type: 'step', migrationId, step: { ...step, at: new Date(step.at).toISOString() } }),
    );
    stream.write({ type: 'migration', migration: migrationView((await api.store.migrations.get(migration.id)) ?? migration) });
    try {
      stream.write({ type: 'result', result: migrationView(await done) });
      stream.end();
    } catch (error) {
      stream.fail(errorReply(error).body.error);
    }
  });

  router.add('GET', '/api/migrations', { query: MigrationListQuery }, async ({ query }) => {
    const ref = query.containerId;
    // A container may be named by id or name; a removed container's history is still found by id.
    const containerId = ref === undefined ? undefined : ((await api.store.containers.find(ref))?.id ?? ref);
    return { status: 200, body: { migrations: (await api.store.migrations.list(containerId)).map(migrationView) } };
  });

  router.add('GET', '/api/migrations/:id', async ({ params }) => {
    const migration = await api.store.migrations.get(params['id']!);
    if (!migration) throw new ServerError('NOT_FOUND', `no migration with id "${params['id']}"`);
    return { status: 200, body: migrationView(migration) };
  });

  router.add('GET', '/api/failover', () => ({ status: 200, body: { ...api.failover.status(), replica: api.replica?.().id ?? null, leader: api.replica?.().leader ?? null } }));
}
