import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JOIN_PATH, PROTOCOL_VERSION } from '@lormas/protocol';
import { engineState, TEST_IMAGE, waitFor } from '@lormas/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildAgent, releaseKey, signBuild } from './support/agentBuilds.js';
import { axeViolations, buildDashboard, isLocal, launchBrowser, watchPage } from './support/browser.js';
import { type DashboardFleet, startDashboardFleet } from './support/dashboardFleet.js';
import { call, registerNode } from './support/http.js';

const PREFIX = `lormas-dash-${process.pid}-`;
/** Markup an agent or a container might send: shown as text, it does nothing. */
const MARKUP = '<img src=x onerror="window.__pwned=1">';
/** The same in a log line, without double quotes so it fits the command's quoting. */
const LOG_MARKUP = '<img src=x onerror=window.__pwned=2><script>window.__pwned=3</script>';
/** The whole browser suite's budget; the README states it. */
const BUDGET_MS = 180_000;

describe('the dashboard in a real browser', { timeout: BUDGET_MS }, () => {
  let fleet: DashboardFleet;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;
  let releases: string;
  let fingerprint: string;
  const name = `${PREFIX}web`;

  const go = async (label: string) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
    await page.getByRole('heading', { level: 1, name: label }).waitFor();
  };
  const card = (nodeName: string) => page.locator('article.node-card').filter({ has: page.getByRole('heading', { name: nodeName, exact: true }) });
  const row = () => page.locator('tr', { has: page.getByRole('rowheader', { name, exact: true }) });
  const pwned = () => page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned);

  before(async () => {
    // A signed build on offer, so registering a node answers a one-line install.
    releases = mkdtempSync(join(tmpdir(), 'lormas-dash-releases-'));
    const key = await releaseKey(join(releases, 'keys'));
    fingerprint = key.fingerprint;
    await signBuild(key.file, await buildAgent(join(releases, 'build', 'agent.js'), '0.9.0'), join(releases, 'offered'));
    fleet = await startDashboardFleet({ prefix: PREFIX, dashboardDir: buildDashboard(), server: { lostAfterMs: 3_000, releasesDir: join(releases, 'offered') } });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    watched = watchPage(page);
    page.on('dialog', (dialog) => void dialog.accept());
  });

  after(async () => {
    await browser?.close();
    await fleet?.close();
    if (releases) rmSync(releases, { recursive: true, force: true });
  });

  it('asks for the admin token in a password field, refuses a wrong one, and signs in with a HttpOnly SameSite=Strict cookie', async () => {
    await page.goto(`${fleet.server.url}/dashboard/nodes`);
    await page.waitForURL('**/dashboard/sign-in');
    const token = page.getByLabel('Admin token');
    assert.equal(await token.getAttribute('type'), 'password');
    await token.fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not the admin token' }).waitFor();
    await token.fill(fleet.server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const [cookie] = await context.cookies();
    assert.deepEqual([cookie?.name, cookie?.httpOnly, cookie?.sameSite], ['lormas_session', true, 'Strict']);
    assert.ok(cookie!.expires > Date.now() / 1000);
    assert.ok(watched.requests.every((url) => !url.includes(fleet.server.adminToken)), 'the token never appears in a URL');
    // Set once: if anything reloaded the page, this marker would be gone.
    await page.evaluate(() => ((globalThis as { __noReload?: boolean }).__noReload = true));
  });

  it('shows a node registered from the page, its token once, and markup in its name as text', async () => {
    await page.locator('summary', { hasText: 'Register node' }).click();
    await page.getByLabel('Name', { exact: true }).fill(MARKUP);
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.locator('.token-box pre').filter({ hasText: 'NODE_TOKEN=' }).waitFor();
    await card(MARKUP).waitFor();
    assert.equal(await card(MARKUP).getByRole('heading').textContent(), MARKUP);
    assert.equal(await card(MARKUP).locator('img').count(), 0);
    assert.equal(await pwned(), undefined);
    await page.getByRole('button', { name: 'Done' }).click();
    await card(MARKUP).getByRole('button', { name: 'Revoke' }).click();
    await card(MARKUP).waitFor({ state: 'detached' });
  });

  it('shows the one-line install with a working join code in the register dialog, and copies it', async () => {
    const nodeName = `${PREFIX}joined`;
    // The drawer stays open after the last registration; a click on its summary would close it.
    if (!(await page.getByLabel('Name', { exact: true }).isVisible())) await page.locator('summary', { hasText: 'Register node' }).click();
    await page.getByLabel('Name', { exact: true }).fill(nodeName);
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    const line = page.getByLabel('Install command');
    await line.waitFor();
    assert.ok(await line.isVisible(), 'the install command is not in sight');
    assert.ok(await page.getByText('Or install and join in one line, as root on the node').isVisible());
    const shown = (await line.innerText()).trim();
    const url = fleet.server.url;
    const match = new RegExp(`^curl -fsSL ${url}/agent/install\\.sh \\| LORMAS_JOIN_CODE=([A-Za-z0-9_-]{22,}) sudo --preserve-env=LORMAS_JOIN_CODE sh -s -- --server ${url} --release-key ${fingerprint}$`).exec(shown);
    assert.ok(match, `the dialog shows ${shown}`);

    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
    await page.getByRole('button', { name: 'Copy install command' }).click();
    await page.locator('.install-box').getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText()), shown);

    // The code shown is the node's own and unused: an agent exchanging it gets that node's token.
    const joined = await fetch(`${url}${JOIN_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: match[1], exchangeId: 'd'.repeat(22), protocolVersion: PROTOCOL_VERSION }) });
    assert.equal(joined.status, 200);
    assert.equal(((await joined.json()) as { nodeName: string }).nodeName, nodeName);
    await page.getByRole('button', { name: 'Done' }).click();
    await card(nodeName).getByRole('button', { name: 'Revoke' }).click();
    await card(nodeName).waitFor({ state: 'detached' });
  });

  it('shows a node registered elsewhere live, and takes it away when it is revoked', async () => {
    const node = await registerNode(fleet.server, `${PREFIX}from-curl`);
    await card(`${PREFIX}from-curl`).waitFor({ timeout: 2_000 });
    await call(fleet.server, 'DELETE', `/api/nodes/${node.id}`);
    await card(`${PREFIX}from-curl`).waitFor({ state: 'detached', timeout: 2_000 });
  });

  it('creates, renames and deletes a cluster, and assigns a node to it', async () => {
    await go('Clusters');
    await page.locator('summary', { hasText: 'New cluster' }).click();
    await page.getByLabel('Name', { exact: true }).fill('blue');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const blue = page.locator('article[data-cluster-id]').filter({ has: page.getByRole('heading', { name: 'blue', exact: true }) });
    await blue.getByLabel('Add a node to blue').selectOption({ label: 'node-a' });
    await blue.getByRole('list', { name: 'Nodes of blue' }).getByText('node-a').waitFor();
    await blue.getByLabel('New name for blue').fill('green');
    await blue.getByRole('button', { name: 'Rename' }).click();
    const green = page.locator('article[data-cluster-id]').filter({ has: page.getByRole('heading', { name: 'green', exact: true }) });
    await green.getByText('1 / 1').waitFor();
    assert.equal((await call(fleet.server, 'GET', `/api/nodes/${fleet.a.id}`)).body.cluster.name, 'green');
    await green.getByRole('button', { name: 'Delete' }).click();
    await green.waitFor({ state: 'detached' });
    assert.equal((await call(fleet.server, 'GET', `/api/nodes/${fleet.a.id}`)).body.cluster, null);
  });

  it('creates a container from the form that runs in the engine', async () => {
    await go('Containers');
    await page.locator('summary', { hasText: 'New container' }).click();
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Image').fill(TEST_IMAGE);
    await page.getByLabel('Command').fill(`sh -c "trap 'exit 0' TERM; echo '${LOG_MARKUP}'; i=0; while true; do echo tick \\$i; i=\\$((i+1)); sleep 0.2; done"`);
    await page.getByLabel('Network').selectOption('none');
    await page.getByLabel('Place on').selectOption({ label: 'Node node-a' });
    await page.getByLabel(/High availability/).check();
    await page.getByRole('button', { name: 'Create and start' }).click();
    await page.getByText(`Created ${name} on node-a.`).waitFor();
    await row().getByText('running').waitFor();
    assert.equal(await engineState(name, fleet.a.socketPath), 'running');
  });

  it("shows the agent's refusal of a form it will not run, naming the guard rail", async () => {
    await page.getByLabel('Name', { exact: true }).fill(`${PREFIX}hostnet`);
    await page.getByLabel('Image').fill(TEST_IMAGE);
    await page.getByLabel('Network').selectOption('host');
    await page.getByRole('button', { name: 'Create and start' }).click();
    await page.getByRole('alert').filter({ hasText: '(rule: host-network)' }).waitFor();
    assert.equal(await engineState(`${PREFIX}hostnet`, fleet.a.socketPath), null);
    assert.equal((await call(fleet.server, 'GET', `/api/containers/${PREFIX}hostnet`)).status, 404);
  });

  it('follows its logs live, with markup in a line shown as text', async () => {
    await page.getByRole('button', { name: `Logs ${name}`, exact: true }).click();
    const lines = page.locator('.log-lines li');
    await lines.filter({ hasText: LOG_MARKUP }).waitFor();
    assert.equal(await lines.filter({ hasText: LOG_MARKUP }).first().textContent(), LOG_MARKUP);
    const seen = await lines.count();
    await waitFor(async () => (await lines.count()) >= seen + 5, { what: 'more lines as the container writes them' });
    assert.equal(await page.locator('.log-lines img').count(), 0);
    assert.equal(await pwned(), undefined);
    await page.getByRole('button', { name: 'Close logs' }).click();
  });

  it('stops it from its row, then starts it again', async () => {
    await row().getByRole('button', { name: `Stop ${name}`, exact: true }).click();
    await row().getByText('exited').waitFor();
    assert.equal(await engineState(name, fleet.a.socketPath), 'exited');
    await row().getByRole('button', { name: `Start ${name}`, exact: true }).click();
    await row().getByText('running').waitFor();
  });

  it('migrates it from the page and shows each step as it happens', async () => {
    await row().getByRole('button', { name: `Migrate ${name}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Migrate ${name}` });
    await dialog.getByLabel('Target').selectOption({ label: 'node-b' });
    await dialog.getByRole('button', { name: 'Migrate' }).click();
    await dialog.getByRole('status').filter({ hasText: /^succeeded/ }).waitFor({ timeout: 20_000 });
    const steps = await dialog.locator('.step-name').allTextContents();
    assert.deepEqual(steps, ['choose-target', 'stop-source', 'create-target', 'start-target', 'remove-source']);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await row().getByRole('cell', { name: 'node-b', exact: true }).waitFor();
    assert.equal(await engineState(name, fleet.b.socketPath), 'running');
    assert.equal(await engineState(name, fleet.a.socketPath), null);
  });

  it('lists the migration in the history with trigger, route, times and steps', async () => {
    await go('Migrations');
    const item = page.locator('details.mig').filter({ hasText: `${name} · Manual` });
    await item.getByText('succeeded').waitFor();
    await item.getByText('node-a → node-b').waitFor();
    await item.locator('summary').click();
    assert.equal(await item.locator('.step').count(), 5);
    assert.match((await item.locator('.mig-times').textContent()) ?? '', /started \d\d:\d\d:\d\d, ended \d\d:\d\d:\d\d · \d/);
  });

  it('makes no periodic API requests once the live stream is open', async () => {
    const before = watched.requests.length;
    await page.waitForTimeout(3_000);
    const during = watched.requests.slice(before).filter((url) => !url.endsWith('/api/events'));
    assert.deepEqual(during, []);
  });

  it('turns a killed node suspect, then lost, without a reload, and shows its HA container on its new node', async () => {
    await go('Nodes');
    const b = card('node-b');
    await b.getByText('Online').waitFor();
    await fleet.b.agent!.stop('SIGKILL');
    await b.getByText('Suspect').waitFor({ timeout: 5_000 });
    await b.getByText('Lost').waitFor({ timeout: 10_000 });
    await go('Containers');
    await row().getByRole('cell', { name: 'node-a', exact: true }).waitFor({ timeout: 15_000 });
    await row().getByText('running').waitFor();
    assert.equal(await engineState(name, fleet.a.socketPath), 'running');
    assert.equal(await page.evaluate(() => (globalThis as { __noReload?: boolean }).__noReload), true, 'the page was never reloaded');
  });

  it('finds no serious or critical accessibility violation on any page', async () => {
    for (const label of ['Nodes', 'Clusters', 'Containers', 'Migrations']) {
      await go(label);
      assert.deepEqual(await axeViolations(page), [], `${label} page`);
    }
    const signIn = await browser.newPage();
    await signIn.goto(`${fleet.server.url}/dashboard/sign-in`);
    await signIn.getByLabel('Admin token').waitFor();
    assert.deepEqual(await axeViolations(signIn), [], 'sign-in page');
    await signIn.close();
  });

  it('signs out, and the session cookie no longer works', async () => {
    const [cookie] = await context.cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    const res = await fetch(`${fleet.server.url}/api/nodes`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
    assert.equal(res.status, 401);
  });

  it('raised no page error, and sent no request off this machine', () => {
    assert.deepEqual(watched.errors, []);
    // The only console errors are the browser's own notes of refusals the tests caused: the
    // session check before signing in and the wrong token (401), and the host network (403,
    // unless the refusal came after the progress stream had begun: then it is a line in it).
    const statuses = watched.consoleErrors.map((text) => /status of (\d+)/.exec(text)?.[1] ?? text).sort();
    assert.ok(['401,401', '401,401,403'].includes(statuses.join()), statuses.join('\n'));
    assert.deepEqual(watched.requests.filter((url) => !isLocal(url)), []);
    assert.ok(watched.requests.length > 10);
  });
});
