/** How a request's body is delimited on the wire; all but the first two break HTTP/1.1 framing. */
export const FRAMINGS = ['length', 'chunked', 'length-and-chunked', 'two-lengths', 'bad-chunk-size', 'huge-chunk-extension', 'unknown-coding'] as const;
export type Framing = (typeof FRAMINGS)[number];

/**
 * Ways to break the request line or headers, each with whether a server must refuse it.
 * Measured against Node 20's parser: it takes `HTTP/2.0`, latin-1 header values and tabs.
 */
export const BREAKAGES = {
  'no-colon': true,
  'space-in-name': true,
  'obs-fold': true,
  'nul-in-value': true,
  'bare-cr-in-value': true,
  'del-in-value': true,
  'huge-header': true,
  'no-host': true,
  'http-1.2': true,
  'lower-case-method': true,
  'unknown-method': true,
  'raw-space-in-target': true,
  'raw-nul-in-target': true,
  'expect-other': true,
  'broken-absolute-form': true,
  'asterisk-form': true,
  'authority-form': true,
  'absolute-form': false,
  'latin1-value': false,
  'http-1.0': false,
  'expect-continue': false,
} as const;
export type Breakage = keyof typeof BREAKAGES;

export interface RequestPlan {
  method: string;
  /** The request-target, already percent-encoded as it should appear. */
  target: string;
  headers: [name: string, value: string][];
  body: Buffer | null;
  framing: Framing;
  breakage: Breakage | null;
}

/** Whether the framing breaks HTTP/1.1, so the request must be refused. */
export const brokenFraming = (plan: RequestPlan) => plan.body !== null && plan.framing !== 'length' && plan.framing !== 'chunked';

/** The request as bytes on the wire. */
export function renderRequest(plan: RequestPlan): Buffer {
  let method = plan.method;
  let target = plan.target;
  let version = 'HTTP/1.1';
  const headers: string[] = [];
  if (plan.breakage !== 'no-host' && plan.breakage !== 'http-1.0') headers.push('Host: 127.0.0.1');
  for (const [name, value] of plan.headers) headers.push(`${name}: ${value}`);
  switch (plan.breakage) {
    case 'no-colon':
      headers.push('X-Broken');
      break;
    case 'space-in-name':
      headers.push('X Broken: 1');
      break;
    case 'obs-fold':
      headers.push('X-Folded: one', '  two');
      break;
    case 'nul-in-value':
      headers.push('X-Value: a\u0000b');
      break;
    case 'bare-cr-in-value':
      headers.push('X-Value: a\rb');
      break;
    case 'del-in-value':
      headers.push('X-Value: a\u007fb');
      break;
    case 'huge-header':
      headers.push(`X-Huge: ${'h'.repeat(20_000)}`);
      break;
    case 'latin1-value':
      headers.push('X-Value: caf\u00e9 \u00ff');
      break;
    case 'http-1.2':
      version = 'HTTP/1.2';
      break;
    case 'http-1.0':
      version = 'HTTP/1.0';
      break;
    case 'lower-case-method':
      method = method.toLowerCase();
      break;
    case 'unknown-method':
      method = 'FROB';
      break;
    case 'raw-space-in-target':
      target = `${target} x`;
      break;
    case 'raw-nul-in-target':
      target = `${target}\u0000`;
      break;
    case 'expect-other':
      headers.push('Expect: magic');
      break;
    case 'absolute-form':
      target = `http://127.0.0.1${target}`;
      break;
    case 'broken-absolute-form':
      // What once ended the server: the URL parser throws on it.
      target = `http://[${target}`;
      break;
    case 'asterisk-form':
      target = '*';
      break;
    case 'authority-form':
      target = '127.0.0.1:80';
      break;
    case 'expect-continue':
      headers.push('Expect: 100-continue');
      break;
    case null:
      break;
  }
  let body: Buffer = Buffer.alloc(0);
  if (plan.body !== null) {
    const length = `Content-Length: ${plan.body.length}`;
    const chunked = () => Buffer.concat([Buffer.from(`${plan.body!.length.toString(16)}\r\n`), plan.body!, Buffer.from('\r\n0\r\n\r\n')]);
    switch (plan.framing) {
      case 'length':
        headers.push(length);
        body = plan.body;
        break;
      case 'chunked':
        headers.push('Transfer-Encoding: chunked');
        body = plan.body.length === 0 ? Buffer.from('0\r\n\r\n') : chunked();
        break;
      case 'length-and-chunked':
        headers.push(length, 'Transfer-Encoding: chunked');
        body = chunked();
        break;
      case 'two-lengths':
        headers.push(length, `Content-Length: ${plan.body.length + 1}`);
        body = plan.body;
        break;
      case 'bad-chunk-size':
        headers.push('Transfer-Encoding: chunked');
        body = Buffer.concat([Buffer.from('zz\r\n'), plan.body, Buffer.from('\r\n0\r\n\r\n')]);
        break;
      case 'huge-chunk-extension':
        headers.push('Transfer-Encoding: chunked');
        body = Buffer.concat([Buffer.from(`${plan.body.length.toString(16)};${'e'.repeat(20_000)}\r\n`), plan.body, Buffer.from('\r\n0\r\n\r\n')]);
        break;
      case 'unknown-coding':
        headers.push('Transfer-Encoding: gzip');
        body = plan.body;
        break;
    }
  }
  return Buffer.concat([Buffer.from(`${method} ${target} ${version}\r\n${headers.map((line) => `${line}\r\n`).join('')}\r\n`, 'latin1'), body]);
}
