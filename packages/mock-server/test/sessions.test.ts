import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type MockServer, startMockServer } from '../src/index.js';
import { call } from './support/http.js';

/** Signs in with `token` and returns the answer, its cookie (name=value) and CSRF token. */
async function signIn(server: { url: string }, token: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrfToken?: string; error?: { code: string } };
  return { status: res.status, setCookie, cookie: setCookie.split(';')[0]!, csrf: body.csrfToken ?? '', body, retryAfter: res.headers.get('retry-after') };
}

/** A call with the session cookie (and CSRF token when given), as the dashboard makes it. */
async function withCookie(server: { url: string }, method: string, path: string, cookie: string, csrf?: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

describe('dashboard sessions', () => {
  let server: MockServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'lormas-sessions-'));
  const ADMIN = 'sessions-test-admin-token-0001';

  before(async () => {
    server = await startMockServer({ adminToken: ADMIN, dataDir, dashboardDir: null, signInMaxFailures: 3, signInWindowMs: 60_000 });
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens a session for the admin token: an HttpOnly, SameSite=Strict cookie with an expiry, and a CSRF token', async () => {
    const res = await signIn(server, ADMIN);
    assert.equal(res.status, 201);
    assert.match(res.setCookie, /^lormas_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    assert.ok(res.csrf.length >= 32);
    assert.ok(!res.setCookie.includes(ADMIN));
    const session = await withCookie(server, 'GET', '/api/session', res.cookie);
    assert.equal(session.status, 200);
    assert.equal(session.body.csrfToken, res.csrf);
    // The URL an install line tells agents to dial comes with the session, so a token is shown at once with it.
    assert.equal(session.body.agentUrl, server.url.replace(/^http/, 'ws'));
    assert.equal((await withCookie(server, 'GET', '/api/nodes', res.cookie)).status, 200);
  });

  it('needs the CSRF header for a call that changes something, and refuses another origin', async () => {
    const { cookie, csrf } = await signIn(server, ADMIN);
    const without = await withCookie(server, 'POST', '/api/clusters', cookie, undefined, { name: 'no-csrf' });
    assert.deepEqual([without.status, without.body.error.code], [403, 'FORBIDDEN']);
    const wrong = await withCookie(server, 'POST', '/api/clusters', cookie, `${csrf}x`, { name: 'bad-csrf' });
    assert.equal(wrong.status, 403);
    assert.equal((await withCookie(server, 'POST', '/api/clusters', cookie, csrf, { name: 'with-csrf' })).status, 201);
    const foreign = await fetch(`${server.url}/api/nodes`, { headers: { cookie, origin: 'http://evil.example' } });
    assert.equal(foreign.status, 403);
  });

  it('keeps bearer tokens working for curl, with no CSRF header', async () => {
    assert.equal((await call(server, 'POST', '/api/clusters', { body: { name: 'by-bearer' } })).status, 201);
    assert.equal((await call(server, 'GET', '/api/nodes', { token: 'wrong-token-wrong-token' })).status, 401);
  });

  it('ends the session on sign-out', async () => {
    const { cookie, csrf } = await signIn(server, ADMIN);
    const out = await withCookie(server, 'DELETE', '/api/session', cookie, csrf);
    assert.equal(out.status, 200);
    assert.equal((await withCookie(server, 'GET', '/api/nodes', cookie)).status, 401);
  });

  it('rate-limits failed sign-ins per address with 429 and Retry-After, and a right token waits too', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await signIn(server, `wrong-${i}-wrong-wrong-wrong`)).status, 401);
    const limited = await signIn(server, 'wrong-again-wrong-wrong');
    assert.deepEqual([limited.status, limited.body.error?.code], [429, 'TOO_MANY_REQUESTS']);
    assert.ok(Number(limited.retryAfter) > 0 && Number(limited.retryAfter) <= 60);
    assert.equal((await signIn(server, ADMIN)).status, 429);
  });

  it('ends every session when the server restarts with another admin token, and keeps them with the same one', async () => {
    await server.close();
    server = await startMockServer({ adminToken: ADMIN, dataDir, dashboardDir: null });
    const kept = await signIn(server, ADMIN);
    assert.equal(kept.status, 201);
    await server.close();
    server = await startMockServer({ adminToken: ADMIN, dataDir, dashboardDir: null });
    assert.equal((await withCookie(server, 'GET', '/api/nodes', kept.cookie)).status, 200, 'same token: the session survives a restart');
    await server.close();
    server = await startMockServer({ adminToken: 'a-completely-new-admin-token', dataDir, dashboardDir: null });
    assert.equal((await withCookie(server, 'GET', '/api/nodes', kept.cookie)).status, 401, 'new token: the session is over');
  });

  it('expires a session after its lifetime', async () => {
    let now = Date.now();
    const clocked = await startMockServer({ adminToken: ADMIN, dashboardDir: null, sessionTtlMs: 60_000, now: () => now });
    try {
      const { cookie, setCookie } = await signIn(clocked, ADMIN);
      assert.match(setCookie, /Max-Age=60;?/);
      assert.equal((await withCookie(clocked, 'GET', '/api/nodes', cookie)).status, 200);
      now += 60_001;
      assert.equal((await withCookie(clocked, 'GET', '/api/nodes', cookie)).status, 401);
    } finally {
      await clocked.close();
    }
  });
});

describe('the dashboard pages', () => {
  let server: MockServer;
  before(async () => {
    server = await startMockServer({ dashboardDir: null });
  });
  after(() => server?.close());

  it('answers every page and API call with a CSP that allows no inline script', async () => {
    for (const path of ['/dashboard/nodes', '/api/nodes']) {
      const res = await fetch(`${server.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    }
  });

  it('redirects / to the nodes page and says how to build a dashboard that is not built', async () => {
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    assert.deepEqual([root.status, root.headers.get('location')], [302, '/dashboard/nodes']);
    const page = await fetch(`${server.url}/dashboard/nodes`);
    assert.equal(page.status, 503);
    assert.match(await page.text(), /pnpm build/);
  });
});
