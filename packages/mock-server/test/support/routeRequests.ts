import { arbitraryFromJsonSchema, type JsonSchema, mutatedJson } from '@lormas/testkit';
import fc from 'fast-check';
import { z } from 'zod';
import type { RouteInfo } from '../../src/http/Router.js';
import { BREAKAGES, type Breakage, brokenFraming, FRAMINGS, type Framing, type RequestPlan, renderRequest } from './wireRequest.js';
import { isPublicAgentPath } from '../../src/http/routes/agentRoutes.js';

/** One request as the fuzzer sends it, with what the judge needs to know of it. */
export interface WireRequest {
  /** The route of the table it was made for (`POST /api/nodes`), or `upgrade`. */
  route: string;
  /** What it exercises, for the report: `POST /api/nodes, body missing-field`. */
  label: string;
  /** The method as written (a HEAD's answer has no body). */
  method: string;
  bytes: Buffer;
  /** Malformed on purpose: the server must refuse it (a 4xx) or close the connection. */
  mustRefuse: boolean;
  /**
   * Its body breaks HTTP/1.1 framing. A route that reads no body may answer from the
   * headers alone; then the parser reaches the broken part, and a refusal of the rest follows.
   */
  brokenFraming: boolean;
  /** Its body is over the server's limit: whatever the route, the server may close instead of reading it all. */
  oversized: boolean;
  /** Whether the route's own schemas accept the query and body sent: a 2xx for anything else is a finding. */
  schemasAccept: () => boolean;
  /** An agent upgrade request: a 101 is an answer too. */
  upgrade: boolean;
  /** It carries the admin token: a 401 to it comes from its handler, not from the token check. */
  authorized: boolean;
}

export interface FuzzContext {
  adminToken: string;
  /** Every route of the table, to tell a wrong method from another route's. */
  routes: readonly RouteInfo[];
  /** Ids and names the test made on purpose (e.g. of the node whose stub agent carries out commands); chosen as often as all the others. */
  seeded: readonly string[];
  /** Ids and names the server has handed out so far; read each time a request is generated. */
  known: () => readonly string[];
  /** Lengths of huge strings and arrays in bodies: below and above the body limit. */
  hugeLengths: number[];
  /** The server's body limit: a route that reads its body refuses a bigger one (413, or a closed connection). */
  maxBodyBytes: number;
}

/** Prints as its label and the start of its bytes: a counterexample may carry megabytes. */
function wire(request: WireRequest): WireRequest {
  const preview = request.bytes.subarray(0, 300).toString('latin1');
  return Object.assign(request, { [fc.toStringMethod]: () => `${request.label} (${request.bytes.length} bytes): ${JSON.stringify(preview)}` });
}

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** One of the ids and names the server handed out (mostly one the test seeded), chosen when the request is generated. */
const knownValue = (ctx: FuzzContext) =>
  fc.nat().map((pick) => {
    const known = pick % 4 !== 0 && ctx.seeded.length > 0 ? ctx.seeded : ctx.known();
    return known.length > 0 ? known[Math.floor(pick / 4) % known.length]! : 'nothing-known-yet';
  });

/** Path parameter values: known ids, plausible ones, and malformed ones (which must be refused). */
const BAD_PARAMS: [text: string, mustRefuse: boolean][] = [
  ['%', true],
  ['%zz', true],
  ['%E0%A4%A', true],
  ['%C0%AF', true],
  ['%ED%A0%80', true],
  ['%00', true],
  ['a%00b', true],
  ['%0A', true],
  ['%7F', true],
  ['x'.repeat(300), true],
  ['x'.repeat(20_000), true],
  ['%2F', false],
  ['..', false],
  ['.', false],
  ['%2e%2e', false],
  ['%F0%9F%92%A5', false],
  ['__proto__', false],
  ['constructor', false],
];
const paramValue = (ctx: FuzzContext): fc.Arbitrary<[string, boolean]> =>
  fc.oneof(
    { weight: 4, arbitrary: knownValue(ctx).map((value): [string, boolean] => [encodeURIComponent(value), false]) },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_.-]{1,40}$/).map((value): [string, boolean] => [value, false]) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_PARAMS) },
  );

/** Whether `value` meets a string schema's pattern and length, so putting it there keeps the value valid. */
function fits(schema: JsonSchema, value: string): boolean {
  const node = typeof schema === 'object' ? schema : {};
  const pattern = typeof node['pattern'] === 'string' ? new RegExp(node['pattern']) : null;
  return (!pattern || pattern.test(value)) && value.length >= Number(node['minLength'] ?? 0) && value.length <= Number(node['maxLength'] ?? Infinity);
}

/**
 * Values of a schema whose strings are sometimes ones the server knows (where they fit the
 * string's pattern and length): random strings would never name a node.
 */
const withKnown = (ctx: FuzzContext, schema: z.ZodType) =>
  arbitraryFromJsonSchema(jsonSchema(schema), {
    // Optional references (a preferred cluster) that name nothing refuse the whole body.
    optionalChance: 0.25,
    strings: (generated, string) =>
      fc.oneof({ weight: 1, arbitrary: generated }, { weight: 1, arbitrary: fc.tuple(knownValue(ctx), generated).map(([known, own]) => (fits(string, known) ? known : own)) }),
  });

/** A query string: valid for the route's schema, mutated, or (for routes without one) anything. */
function queryString(ctx: FuzzContext, route: RouteInfo): fc.Arbitrary<string> {
  const encode = (value: unknown) =>
    value && typeof value === 'object' ? new URLSearchParams(Object.entries(value).map(([name, item]): [string, string] => [name, String(item)])).toString() : '';
  const valid = route.query ? withKnown(ctx, route.query).map(encode) : fc.constant('');
  const mutated = fc.oneof(
    fc.constantFrom('%zz=1', 'a=%', '__proto__=1&constructor=x', '&&&', '=', 'x'.repeat(10_000), 'tail=-1&follow=maybe', 'since=yesterday', 'nodeId=%00', 'containerId=&containerId=%FF'),
    fc.tuple(valid, fc.string({ maxLength: 20 })).map(([query, extra]) => `${query}&${encodeURIComponent(extra)}=${encodeURIComponent(extra)}`),
  );
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: mutated }, { weight: 1, arbitrary: fc.constant('') });
}

interface BodyChoice {
  bytes: Buffer | null;
  label: string;
  contentType: string | null;
  /** The content type is not JSON and the body is not empty: a route that reads its body refuses it (415). */
  badType: boolean;
}

const CONTENT_TYPES: [type: string | null, bad: boolean][] = [
  ['application/json', false],
  ['application/json; charset=utf-8', false],
  ['application/merge-patch+json', false],
  [null, true],
  ['text/plain', true],
  ['application/json; charset=latin1', true],
  ['application/x-www-form-urlencoded', true],
  [';;', true],
];

function body(ctx: FuzzContext, route: RouteInfo): fc.Arbitrary<BodyChoice> {
  const type = fc.oneof({ weight: 12, arbitrary: fc.constant(CONTENT_TYPES[0]!) }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) });
  const valid = route.body ? withKnown(ctx, route.body) : fc.jsonValue({ maxDepth: 2 });
  const payload = fc.oneof(
    { weight: 4, arbitrary: valid.map((value) => ({ bytes: Buffer.from(JSON.stringify(value) ?? 'null'), label: 'valid' })) },
    { weight: 4, arbitrary: mutatedJson(valid, { hugeLengths: ctx.hugeLengths }).map(({ bytes, mutation }) => ({ bytes, label: mutation })) },
    { weight: 1, arbitrary: fc.constant({ bytes: Buffer.alloc(0), label: 'empty' }) },
  );
  const withBody = fc.tuple(payload, type).map(([{ bytes, label }, [contentType, bad]]) => ({ bytes, label: `body ${label}`, contentType, badType: bad && bytes.length > 0 }));
  // A route without a body schema reads none; one is sent now and then all the same.
  if (!route.body) return fc.oneof({ weight: 6, arbitrary: fc.constant({ bytes: null, label: 'no body', contentType: null, badType: false }) }, { weight: 1, arbitrary: withBody });
  return withBody;
}

const AUTH: [kind: string, mustRefuse: boolean][] = [
  ['admin', false],
  ['none', true],
  ['wrong', true],
  ['basic', true],
  ['bearer-only', true],
];
const authHeader = (kind: string, adminToken: string): [string, string][] => {
  switch (kind) {
    case 'admin':
      return [['Authorization', `Bearer ${adminToken}`]];
    case 'wrong':
      return [['Authorization', `Bearer ${adminToken}x`]];
    case 'basic':
      return [['Authorization', `Basic ${Buffer.from(`admin:${adminToken}`).toString('base64')}`]];
    case 'bearer-only':
      return [['Authorization', 'Bearer']];
    default:
      return [];
  }
};

/** Decodes and parses `bytes` as the server does; false for anything the route's body schema would refuse. */
function bodyValid(schema: z.ZodType, bytes: Buffer): boolean {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim();
    return schema.safeParse(text === '' ? {} : JSON.parse(text)).success;
  } catch {
    return false;
  }
}

/** Whether the route's query schema takes `query`, read as the server reads it (the first value of each name). */
function queryValid(schema: z.ZodType, query: string): boolean {
  const first = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(query)) if (!first.has(name)) first.set(name, value);
  return schema.safeParse(Object.fromEntries(first)).success;
}

/**
 * Requests for one route of the table, structure-aware: the route's method or another,
 * its pattern with known, plausible or malformed parameters, a query and a body from its
 * own schemas (valid, or mutated), the admin token or not, and now and then broken
 * framing or headers. Each knows whether it must be refused.
 */
export function routeRequests(ctx: FuzzContext, route: RouteInfo): fc.Arbitrary<WireRequest> {
  const methods = fc.oneof({ weight: 9, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND') });
  const framing = fc.oneof({ weight: 20, arbitrary: fc.constant<Framing>('length') }, { weight: 4, arbitrary: fc.constant<Framing>('chunked') }, { weight: 2, arbitrary: fc.constantFrom(...FRAMINGS) });
  const breakage = fc.oneof({ weight: 25, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(...(Object.keys(BREAKAGES) as Breakage[])) });
  const accept = fc.constantFrom(null, 'application/json', 'application/x-ndjson', 'text/event-stream', '*/*', 'text/html;q=0.1, x/y;;');
  const auth = fc.oneof({ weight: 12, arbitrary: fc.constant(AUTH[0]!) }, { weight: 2, arbitrary: fc.constantFrom(...AUTH) });
  return fc
    .record({
      method: methods,
      params: fc.tuple(...route.params.map(() => paramValue(ctx))),
      query: queryString(ctx, route),
      body: body(ctx, route),
      framing,
      breakage,
      accept,
      auth,
    })
    .map(({ method, params, query, body: sent, framing: chosenFraming, breakage: chosenBreakage, accept: chosenAccept, auth: [authKind, authRefused] }) => {
      let index = 0;
      const path = route.pattern.replace(/:[^/]+/g, () => params[index++]![0]);
      const headers: [string, string][] = [...authHeader(authKind, ctx.adminToken)];
      if (chosenAccept) headers.push(['Accept', chosenAccept]);
      if (sent.contentType && sent.bytes !== null) headers.push(['Content-Type', sent.contentType]);
      const plan: RequestPlan = { method, target: query ? `${path}?${query}` : path, headers, body: sent.bytes, framing: chosenFraming, breakage: chosenBreakage };
      // Another method may be another route of the same pattern: its schemas judge what it accepts.
      const served = ctx.routes.find((other) => other.method === method && other.pattern === route.pattern);
      const otherRoute = !served;
      // Only the route that serves the request decides what of the body matters: one that reads none never looks at it.
      const bodyRefused = !!served?.body && (sent.badType || brokenFraming(plan) || (sent.bytes?.length ?? 0) > ctx.maxBodyBytes);
      // What an installer or a joining agent fetches needs no token: missing one refuses nothing there.
      const tokenNeeded = !isPublicAgentPath(method, route.pattern);
      const mustRefuse = params.some(([, refused]) => refused) || (authRefused && tokenNeeded) || otherRoute || bodyRefused || (chosenBreakage !== null && BREAKAGES[chosenBreakage]);
      const parts = [
        `${method} ${route.pattern}`,
        sent.label,
        ...(query ? ['query'] : []),
        ...(authKind === 'admin' ? [] : [`auth ${authKind}`]),
        ...(chosenFraming === 'length' || sent.bytes === null ? [] : [chosenFraming]),
        ...(chosenBreakage ? [chosenBreakage] : []),
      ];
      return wire({
        route: `${route.method} ${route.pattern}`,
        label: parts.join(', '),
        method: chosenBreakage === 'lower-case-method' ? method.toLowerCase() : method,
        bytes: renderRequest(plan),
        mustRefuse,
        brokenFraming: brokenFraming(plan),
        oversized: (sent.bytes?.length ?? 0) > ctx.maxBodyBytes,
        schemasAccept: () => !!served && (!served.query || queryValid(served.query, query)) && (!served.body || bodyValid(served.body, sent.bytes ?? Buffer.alloc(0))),
        upgrade: false,
        authorized: authKind === 'admin',
      });
    });
}

const WEBSOCKET_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * Upgrade requests to the agent endpoint (any path): a well-formed one (which upgrades,
 * then is closed for want of a token), and ones with a wrong method, `Upgrade`, key,
 * version or subprotocol list, which must be refused before `ws` sees them.
 */
export function upgradeRequests(ctx: FuzzContext): fc.Arbitrary<WireRequest> {
  const choice = <T>(good: T, ...bad: T[]) => fc.oneof({ weight: 3, arbitrary: fc.constant<[T, boolean]>([good, false]) }, { weight: 1, arbitrary: fc.constantFrom(...bad.map((value): [T, boolean] => [value, true])) });
  return fc
    .record({
      path: fc.oneof(fc.constantFrom('/', '/agent', ...ctx.routes.map((route) => route.pattern)), fc.constantFrom('http://[', '*')),
      method: choice('GET', 'POST', 'PUT'),
      upgrade: choice<string | null>('websocket', 'h2c', null, 'WebSocket2'),
      key: choice<string | null>(WEBSOCKET_KEY, null, 'short', `${WEBSOCKET_KEY}x`),
      version: choice<string | null>('13', '7', null, 'thirteen'),
      protocol: choice<string | null>(null, 'a, a', 'bad token', ','),
      token: fc.constantFrom(null, 'not-a-jwt', 'a.b.c'),
    })
    .map(({ path, method: [method, badMethod], upgrade: [upgrade, badUpgrade], key: [key, badKey], version: [version, badVersion], protocol: [protocol, badProtocol], token }) => {
      const headers: [string, string][] = [['Connection', 'Upgrade']];
      if (upgrade !== null) headers.push(['Upgrade', upgrade]);
      if (key !== null) headers.push(['Sec-WebSocket-Key', key]);
      if (version !== null) headers.push(['Sec-WebSocket-Version', version]);
      if (protocol !== null) headers.push(['Sec-WebSocket-Protocol', protocol]);
      if (token !== null) headers.push(['Authorization', `Bearer ${token}`]);
      const badPath = path === 'http://[' || path === '*';
      return wire({
        route: 'upgrade',
        label: `upgrade ${method} ${path}${[badUpgrade && 'upgrade', badKey && 'key', badVersion && 'version', badProtocol && 'protocol'].filter(Boolean).map((what) => `, bad ${what}`).join('')}`,
        method,
        bytes: renderRequest({ method, target: path, headers, body: null, framing: 'length', breakage: null }),
        // Node hands only requests with an Upgrade header to the upgrade listener. Without one it is
        // an ordinary request to that path, whose WebSocket headers mean nothing: it must not
        // upgrade or fail, but may be answered as any request there is (`GET /` redirects to the
        // dashboard, a public route answers 200).
        mustRefuse: upgrade === null ? badPath : badMethod || badUpgrade || badKey || badVersion || badProtocol || badPath,
        brokenFraming: false,
        oversized: false,
        schemasAccept: () => false,
        upgrade: true,
        authorized: false,
      });
    });
}

/**
 * Requests to paths outside the table: what the server answers in front of the router (the
 * dashboard's pages and assets) and paths nothing serves. The literal segments of the table
 * and of the dashboard's paths are mixed with random ones, so whatever is added in front of
 * the router later is reached too.
 */
export function unroutedRequests(ctx: FuzzContext): fc.Arbitrary<WireRequest> {
  const literals = [...new Set(ctx.routes.flatMap((route) => route.pattern.split('/').filter((segment) => segment && !segment.startsWith(':'))))];
  const segment = fc.oneof(fc.constantFrom(...literals, 'dashboard', 'assets', 'index.html', 'nodes', '..', '%2e%2e', '%00', '%zz'), fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/));
  return fc
    .record({
      segments: fc.array(segment, { maxLength: 4 }),
      trailingSlash: fc.boolean(),
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'),
      auth: fc.constantFrom(...AUTH),
    })
    .map(({ segments, trailingSlash, method, auth: [authKind] }) => {
      const target = `/${segments.join('/')}${trailingSlash && segments.length > 0 ? '/' : ''}`;
      return wire({
        route: 'unrouted',
        label: `unrouted ${method} ${target}${authKind === 'admin' ? '' : `, auth ${authKind}`}`,
        method,
        bytes: renderRequest({ method, target, headers: authHeader(authKind, ctx.adminToken), body: null, framing: 'length', breakage: null }),
        mustRefuse: false,
        brokenFraming: false,
        oversized: false,
        schemasAccept: () => true,
        upgrade: false,
        authorized: authKind === 'admin',
      });
    });
}
