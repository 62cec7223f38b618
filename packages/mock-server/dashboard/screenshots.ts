/**
 * `pnpm --filter @lormas/mock-server screenshots`: takes the README's pictures of every
 * dashboard page from a real fleet (two engines, two agents, containers, a migration),
 * at 1280x800 and at phone width, light and dark, into `dashboard/screenshots/`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_IMAGE, waitFor } from '@lormas/testkit';
import { buildAgent, releaseKey, signBuild } from '../test/support/agentBuilds.js';
import { buildDashboard, launchBrowser } from '../test/support/browser.js';
import { startDashboardFleet } from '../test/support/dashboardFleet.js';
import { call as rawCall } from '../test/support/http.js';

/** An API call that must succeed: a picture of a half-built fleet is no use. */
async function call(...args: Parameters<typeof rawCall>) {
  const res = await rawCall(...args);
  if (res.status >= 300) throw new Error(`${args[1]} ${args[2]} answered ${res.status}: ${res.text}`);
  return res;
}

const PREFIX = 'lormas-shot-';
const out = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
mkdirSync(out, { recursive: true });

// A signed build on offer: the nodes page shows each agent against it, the register dialog the one-line install.
const RELEASE = '9.9.9';
const releases = mkdtempSync(join(tmpdir(), 'lormas-shot-releases-'));
await signBuild((await releaseKey(join(releases, 'keys'))).file, await buildAgent(join(releases, 'build', 'agent.js'), RELEASE), join(releases, 'offered'));
const fleet = await startDashboardFleet({ prefix: PREFIX, dashboardDir: buildDashboard(), names: ['prod-1', 'prod-2'], server: { sampleIntervalMs: 250, releasesDir: join(releases, 'offered') } });
const browser = await launchBrowser();
try {
  const { server, a, b } = fleet;
  // Placement needs each node's first heartbeat (its engine up, not suspect), not only its link.
  await waitFor(
    async () => {
      const views = await Promise.all([a, b].map(async (node) => (await call(server, 'GET', `/api/nodes/${node.id}`)).body));
      return views.every((view) => view.health === 'online' && view.lastHeartbeatAt && view.engine?.up) || (process.stderr.write(`${JSON.stringify(views.map((v) => [v.status, v.health, v.engine]))}\n`), false);
    },
    { timeoutMs: 30_000, what: 'both nodes beating, their engines up' },
  );
  await call(server, 'POST', '/api/clusters', { body: { name: 'production', description: 'Two hosts in the same rack' } });
  await call(server, 'POST', '/api/clusters', { body: { name: 'edge', description: 'Small boxes at the sites' } });
  for (const node of [a, b]) await call(server, 'PATCH', `/api/nodes/${node.id}`, { body: { cluster: 'production' } });
  await call(server, 'POST', '/api/nodes', { body: { name: 'edge-lyon', description: 'waiting for its agent', cluster: 'edge' } });
  const loop = (text: string) => ['sh', '-c', `trap 'exit 0' TERM; i=0; while true; do echo "${text} $i"; i=$((i+1)); sleep 0.5; done`];
  const create = (name: string, where: Record<string, unknown>, ha: boolean) =>
    call(server, 'POST', '/api/containers', { body: { ...where, ha, spec: { name: `${PREFIX}${name}`, image: TEST_IMAGE, networkMode: 'none', cmd: loop(`${name}: request served`), stopTimeoutSeconds: 1 } } });
  await create('web', { cluster: 'production' }, true);
  await create('api', { cluster: 'production' }, true);
  await create('worker', { nodeId: a.id }, false);
  const cache = await create('cache', { nodeId: b.id }, false);
  await call(server, 'POST', `/api/containers/${cache.body.id}/stop`, { body: {} });
  const web = (await call(server, 'GET', `/api/containers/${PREFIX}web`)).body;
  const moved = await call(server, 'POST', `/api/containers/${web.id}/migrate`, { body: {} });
  await waitFor(async () => (await call(server, 'GET', `/api/migrations/${moved.body.id}`)).body.status !== 'running', { timeoutMs: 30_000, what: 'the migration' });
  // A rollout to agents run from their sources: each is skipped, named, as the panel shows.
  const rollout = await call(server, 'POST', '/api/agents/rollout', { body: { version: RELEASE, batchSize: 2 } });
  await waitFor(async () => (await call(server, 'GET', `/api/agents/rollouts/${rollout.body.id}`)).body.status !== 'running', { timeoutMs: 30_000, what: 'the rollout' });
  // Samples for the sparklines.
  await new Promise((resolve) => setTimeout(resolve, 6_000));

  for (const scheme of ['light', 'dark'] as const) {
    for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
      const context = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: 1 });
      const page = await context.newPage();
      await page.goto(`${server.url}/dashboard/sign-in`);
      if (scheme === 'light' && label === 'desktop') await page.screenshot({ path: join(out, `sign-in-${label}-${scheme}.png`) });
      await page.getByLabel('Admin token').fill(server.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Live', { exact: true }).waitFor();
      for (const name of ['nodes', 'clusters', 'containers', 'migrations']) {
        await page.getByRole('link', { name: name[0]!.toUpperCase() + name.slice(1) }).click();
        await page.waitForTimeout(600);
        if (name === 'migrations') await page.locator('details.mig summary').first().click();
        if (name === 'containers' && label === 'desktop') {
          await page.getByRole('button', { name: `Logs ${PREFIX}worker` }).click();
          await page.locator('.log-lines li').nth(5).waitFor();
        }
        // A full-page shot of a scrolled page draws the sticky header where it was scrolled to.
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: join(out, `${name}-${label}-${scheme}.png`), fullPage: label === 'phone' ? false : name !== 'nodes' });
      }
      if (scheme === 'light' && label === 'desktop') {
        await page.getByRole('link', { name: 'Nodes' }).click();
        await page.locator('summary', { hasText: 'Register node' }).click();
        await page.getByLabel('Name', { exact: true }).fill('edge-nice');
        await page.getByRole('button', { name: 'Register', exact: true }).click();
        await page.getByLabel('Install command').waitFor();
        await page.screenshot({ path: join(out, `register-${label}-${scheme}.png`) });
      }
      await context.close();
    }
  }
  process.stdout.write(`screenshots written to ${out}\n`);
} finally {
  await browser.close();
  await fleet.close();
  rmSync(releases, { recursive: true, force: true });
}
