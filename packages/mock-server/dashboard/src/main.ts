import type { SessionView } from '../../src/http/apiTypes.js';
import { ApiError, api, setCsrfToken, whenUnauthorized } from './api.js';
import { FleetState } from './FleetState.js';
import { h, setText } from './h.js';
import { type LinkState, LiveStream } from './LiveStream.js';
import { clustersPage } from './pages/clustersPage.js';
import { containersPage } from './pages/containersPage.js';
import { migrationsPage } from './pages/migrationsPage.js';
import { nodesPage } from './pages/nodesPage.js';
import type { Page, PageContext } from './pages/Page.js';
import { signInPage } from './pages/signInPage.js';

const PAGES: Record<string, { label: string; make: (ctx: PageContext) => Page }> = {
  nodes: { label: 'Nodes', make: nodesPage },
  clusters: { label: 'Clusters', make: clustersPage },
  containers: { label: 'Containers', make: containersPage },
  migrations: { label: 'Migrations', make: migrationsPage },
};

const LINK_LABEL: Record<LinkState, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', closed: 'Offline' };

const app = document.getElementById('app')!;
const fleet = new FleetState();
const live = new LiveStream(fleet);
let session: SessionView | null = null;
let page: Page | null = null;
let frame = 0;
let ticker = 0;

function pageName(): string {
  const name = location.pathname.replace(/^\/dashboard\/?/, '').split('/')[0] ?? '';
  return name in PAGES ? name : 'nodes';
}

function navigate(path: string): void {
  if (location.pathname !== path) history.pushState(null, '', path);
  showPage();
}

/** Redraws on the next frame: a burst of events costs one render. */
function schedule(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    page?.render();
  });
}

function shell(): { main: HTMLElement; nav: HTMLElement; link: HTMLElement } {
  const link = h('span', { class: 'link-state', attrs: { role: 'status', 'aria-live': 'polite' } });
  const nav = h(
    'nav',
    { attrs: { 'aria-label': 'Main' } },
    h(
      'ul',
      {},
      ...Object.entries(PAGES).map(([name, { label }]) =>
        h('li', {}, h('a', { attrs: { href: `/dashboard/${name}`, 'data-page': name }, on: { click: (event) => {
          if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
          event.preventDefault();
          navigate(`/dashboard/${name}`);
        } }, text: label })),
      ),
    ),
  );
  const signOut = h('button', { class: 'btn btn-quiet btn-small', attrs: { type: 'button' }, on: { click: () => void doSignOut() }, text: 'Sign out' });
  const main = h('main', { attrs: { id: 'main', tabindex: '-1' } });
  app.replaceChildren(
    h('a', { class: 'skip-link', attrs: { href: '#main' }, text: 'Skip to content' }),
    h('header', { class: 'topbar' }, h('a', { class: 'brand', attrs: { href: '/dashboard/nodes' } }, h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }), 'Lormas'), nav, h('div', { class: 'topbar-end' }, link, signOut)),
    main,
  );
  return { main, nav, link };
}

let chrome: ReturnType<typeof shell> | null = null;

function showPage(): void {
  if (!session) return;
  chrome ??= shell();
  page?.dispose?.();
  const name = pageName();
  const ctx: PageContext = { fleet, session, now: () => Date.now(), navigate };
  page = PAGES[name]!.make(ctx);
  chrome.main.replaceChildren(page.el);
  document.title = `${page.title} · Lormas`;
  for (const a of chrome.nav.querySelectorAll('a')) {
    if (a.dataset['page'] === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  page.render();
}

function start(next: SessionView): void {
  session = next;
  setCsrfToken(next.csrfToken);
  if (!location.pathname.startsWith('/dashboard/') || location.pathname === '/dashboard/sign-in') history.replaceState(null, '', '/dashboard/nodes');
  showPage();
  live.onState = (state) => {
    if (!chrome) return;
    setText(chrome.link, LINK_LABEL[state]);
    chrome.link.dataset['state'] = state;
  };
  live.onState(live.state);
  live.onClosedForGood = () => void api('GET /api/session', {}).then(() => live.open(), () => {});
  live.open();
  // Relative times ("5 s ago") move on by themselves; this asks the server nothing.
  ticker = window.setInterval(schedule, 1_000);
}

function showSignIn(): void {
  live.close();
  clearInterval(ticker);
  page?.dispose?.();
  page = null;
  chrome = null;
  session = null;
  setCsrfToken(null);
  if (location.pathname !== '/dashboard/sign-in') history.replaceState(null, '', '/dashboard/sign-in');
  document.title = 'Sign in · Lormas';
  app.replaceChildren(signInPage(start));
  app.querySelector('input')?.focus();
}

async function doSignOut(): Promise<void> {
  try {
    await api('DELETE /api/session', {});
  } finally {
    showSignIn();
  }
}

fleet.subscribe(schedule);
whenUnauthorized(() => {
  if (session) showSignIn();
});
window.addEventListener('popstate', showPage);

api('GET /api/session', {}).then(start, (error: unknown) => {
  if (error instanceof ApiError && (error.status === 401 || error.status === 404)) showSignIn();
  else app.replaceChildren(h('main', { class: 'signin', attrs: { id: 'main' } }, h('p', { class: 'notice', attrs: { role: 'alert', 'data-kind': 'error' }, text: `The server did not answer: ${String(error)}` })));
});
