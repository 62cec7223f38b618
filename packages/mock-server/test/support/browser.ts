import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Debian's Chromium; `CHROMIUM_PATH` names another. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Builds the dashboard, so a clean clone's `pnpm test` finds it (about a second, no network).
 * The build is always made afresh: a stale one would test yesterday's page.
 */
export function buildDashboard(): string {
  const built = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'dashboard/build.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the dashboard failed:\n${built.stderr}`);
  const dir = join(PACKAGE_ROOT, 'dashboard/dist');
  if (!existsSync(join(dir, 'index.html'))) throw new Error('the dashboard build wrote no index.html');
  return dir;
}

/**
 * Headless Chromium with every background service off: without these flags Chromium
 * reaches for Google's hosts (component updates, safe browsing, sync), and the tests
 * assert that nothing leaves the machine. `--no-sandbox` because tests run as root.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-features=Translate,MediaRouter,OptimizationHints'],
  });
}

/** Whether a URL points at this machine (or is no network at all: `data:`, `about:`). */
export function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'about:' || protocol === 'blob:') return true;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Everything a page did that a test checks at the end: uncaught errors, console errors, and every URL it asked for. */
export function watchPage(page: Page) {
  const errors: string[] = [];
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('request', (request) => requests.push(request.url()));
  return { errors, consoleErrors, requests };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page as it is and returns the serious and critical violations. axe
 * goes in through the DevTools protocol, which the page's CSP does not govern: a script
 * tag would be refused, as it should be.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
