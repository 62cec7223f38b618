import { z } from 'zod';
import type { Exchange, RawResponse } from './rawHttp.js';
import type { WireRequest } from './routeRequests.js';

/** The documented error body of every refusal. */
const ErrorBody = z.object({
  error: z.object({
    code: z.string().regex(/^[A-Z_]+$/),
    message: z.string(),
    issues: z.array(z.object({ code: z.string(), path: z.array(z.union([z.string(), z.number()])), message: z.string() })).max(20).optional(),
  }),
});

/**
 * What may answer a request: success, a redirect (the dashboard's `/`), the client's fault,
 * or an agent that is away, failing or slow (or a dashboard not built: 503). Never a 500.
 */
const allowedStatus = (status: number) => (status >= 200 && status < 400) || (status >= 400 && status < 500) || status === 502 || status === 503 || status === 504;

const json = (body: Buffer): unknown => JSON.parse(body.toString('utf8'));

/** The values of a streamed answer: NDJSON lines, or the `data:` fields of Server-Sent Events. */
function streamed(response: RawResponse): unknown[] {
  const type = response.headers['content-type'] ?? '';
  const text = response.body.toString('utf8');
  // Whole lines only: a stream read before its end may stop mid-line.
  const lines = text.split('\n').slice(0, -1);
  if (type.startsWith('application/x-ndjson')) return lines.filter((line) => line.trim()).map((line) => JSON.parse(line));
  if (type.startsWith('text/event-stream')) return lines.filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
  return [];
}

/** Ids and names in an answer (fields named `id`, `name`, or ending in `Id`), for later requests to use. */
export function idsIn(value: unknown, into: (id: string) => void): void {
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    for (const [key, item] of Object.entries(node)) {
      if (typeof item === 'string' && (key === 'id' || key === 'name' || key.endsWith('Id'))) into(item);
      else stack.push(item);
    }
  }
}

function judgeResponse(request: WireRequest, response: RawResponse, findings: string[], seen: (value: unknown) => void, cut = false): void {
  const { status } = response;
  const where = `${request.label}: answered ${status} ${response.body.subarray(0, 300).toString('utf8')}`;
  if (status === 101) {
    if (!request.upgrade || request.mustRefuse) findings.push(`${where}: upgraded a request that is no well-formed agent upgrade`);
    return;
  }
  if (!allowedStatus(status)) findings.push(`${where}: a status no request may get`);
  // A request cut short may have lost its malformed part: only the rest of the judgement holds.
  if (request.mustRefuse && !cut && (status < 400 || status >= 500)) findings.push(`${where}: a malformed request must be refused with a 4xx`);
  if (status >= 200 && status < 300 && !request.upgrade && !request.schemasAccept()) findings.push(`${where}: accepted what the route's schemas refuse`);
  const hasBody = request.method.toUpperCase() !== 'HEAD';
  try {
    if (status >= 400 && hasBody && !ErrorBody.safeParse(json(response.body)).success) findings.push(`${where}: not the documented error body`);
    for (const value of streamed(response)) {
      const code = (value as { error?: { code?: unknown } } | null)?.error?.code;
      if (code === 'INTERNAL') findings.push(`${where}: the stream failed with INTERNAL`);
    }
    if (status >= 200 && status < 300 && hasBody && (response.headers['content-type'] ?? '').startsWith('application/json')) seen(json(response.body));
  } catch (error) {
    findings.push(`${where}: the body does not parse (${String(error)})`);
  }
}

/**
 * What is wrong with the server's side of one exchange: each answer is judged against its
 * request (see `judgeResponse`), and every request must be answered unless an answer closed
 * the connection, a request of the exchange was malformed on purpose, or the client cut it.
 */
export function judgeExchange(requests: WireRequest[], exchange: Exchange, options: { cut: boolean }, seen: (value: unknown) => void): string[] {
  const findings: string[] = [];
  const labels = requests.map((request) => request.label).join(' | ');
  if (exchange.timedOut) findings.push(`${labels}: neither answered nor closed in time (${exchange.responses.length} of ${requests.length} answers)`);
  // A request cut short, or one whose body breaks the framing, may be answered from its
  // headers and then get a refusal of the broken rest: one answer more than requests.
  const restRefusable = options.cut || requests.some((request) => request.brokenFraming);
  const answers = exchange.openStream ? [...exchange.responses, exchange.openStream] : exchange.responses;
  answers.forEach((response, index) => {
    if (requests[index]) judgeResponse(requests[index], response, findings, seen, options.cut);
    else if (restRefusable && index === requests.length) judgeResponse({ ...requests[0]!, label: `${labels} (the rest)`, mustRefuse: true }, response, findings, seen);
    else findings.push(`${labels}: answer ${index + 1} to ${requests.length} requests`);
  });
  // A malformed request closes the connection where the parser meets it, which may be before
  // the answers to the requests pipelined ahead of it are written (as Node's own handling does);
  // so may a body over the limit, which the server refuses to read, and a client still sending
  // it may see the connection reset before it reads the answer.
  const malformed = requests.some((request) => request.mustRefuse || request.brokenFraming || request.oversized);
  const closedAfterAnswer = exchange.responses.some((response) => /close/i.test(response.headers['connection'] ?? ''));
  // Requests pipelined behind a stream without end wait for it: no answer is due.
  if (!options.cut && !exchange.timedOut && !malformed && !closedAfterAnswer && !exchange.openStream) {
    for (const request of requests.slice(exchange.responses.length)) findings.push(`${request.label}: a well-formed request got no answer`);
  }
  return findings;
}
