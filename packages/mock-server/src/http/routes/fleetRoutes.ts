import { AgentVersion } from '@lormas/protocol';
import { z } from 'zod';
import type { JoinCodeView, ReleaseView } from '../apiTypes.js';
import { agentUrl, type ApiContext } from '../ApiContext.js';
import type { Router } from '../Router.js';
import { rolloutView } from '../views.js';

const IssueJoinCode = z.strictObject({
  /** How long the code stays valid. */
  ttlSeconds: z.number().int().min(60).max(7 * 24 * 3600).optional(),
});

const StartRollout = z.strictObject({
  version: AgentVersion,
  batchSize: z.number().int().min(1).max(1_000).default(1),
  maxUnavailable: z.number().int().min(1).max(1_000).default(1),
  nodeIds: z
    .array(z.string().min(1).max(128))
    .min(1)
    .max(10_000)
    .refine((ids) => new Set(ids).size === ids.length, 'each node once: the same node twice would be upgraded twice at once')
    .optional(),
});

/** Shell-quotes a value for the one-liner (single quotes, each inner one closed and escaped). */
const quote = (value: string) => (/^[A-Za-z0-9_:/.@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`);

/** Join codes with their one-line install, the builds the server offers, and rollouts. */
export function fleetRoutes(router: Router, api: ApiContext): void {
  router.add('POST', '/api/nodes/:id/join', { body: IssueJoinCode }, async ({ params, body }) => {
    const node = await api.store.nodes.require(params['id']!);
    const { code, expiresAt } = await api.store.joinCodes.issue(node.id, (body.ttlSeconds ?? api.joinCodeTtlMs / 1000) * 1000);
    const key = api.catalog.key();
    const server = api.publicUrl();
    const builds = api.catalog.list().length > 0;
    const reply: JoinCodeView = {
      nodeId: node.id,
      code,
      expiresAt: new Date(expiresAt).toISOString(),
      command:
        key && builds
          ? // The code goes in sudo's environment (root's to read), not on a command line, which every user of the node sees in ps.
            `curl -fsSL ${quote(`${server}/agent/install.sh`)} | LORMAS_JOIN_CODE=${code} sudo --preserve-env=LORMAS_JOIN_CODE sh -s -- --server ${quote(server)} --release-key ${key.fingerprint}`
          : null,
      note: key && builds ? null : 'this server offers no signed agent builds (RELEASES_DIR): install the agent by hand and start it once with JOIN_CODE set',
    };
    return { status: 201, body: reply };
  });

  router.add('GET', '/api/agents/releases', () => {
    const key = api.catalog.key();
    const releases: ReleaseView[] = api.catalog.list().map((release) => ({ ...release.manifest, file: release.file, path: release.path }));
    return { status: 200, body: { releaseKey: key ? { publicKey: key.publicKey, fingerprint: key.fingerprint } : null, latest: releases[0]?.version ?? null, releases, agentUrl: agentUrl(api) } };
  });

  router.add('POST', '/api/agents/rollout', { body: StartRollout }, async ({ body }) => {
    return { status: 202, body: rolloutView(await api.rollouts.start(body)) };
  });

  router.add('GET', '/api/agents/rollouts', () => ({ status: 200, body: { rollouts: api.rollouts.list().map(rolloutView) } }));

  router.add('GET', '/api/agents/rollouts/:id', ({ params }) => ({ status: 200, body: rolloutView(api.rollouts.get(params['id']!)) }));
}
