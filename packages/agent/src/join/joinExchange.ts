import { JOIN_PATH, JoinAnswer, JoinRefusal, type JoinRefusalCode, type JoinRequest } from '@lormas/protocol';
import { backoffDelay } from '../backoff.js';
import type { Logger } from '../logger.js';
import { readBody, requestServer, serverOrigin } from '../serverHttp.js';

/** The server refused the join code: retrying cannot help. */
export class JoinRefusedError extends Error {
  override name = 'JoinRefusedError';
  constructor(
    readonly code: JoinRefusalCode | 'BAD_ANSWER',
    message: string,
  ) {
    super(message);
  }
}

/** The server did not answer in time, however often asked. */
export class JoinTimeoutError extends Error {
  override name = 'JoinTimeoutError';
}

export interface JoinExchangeOptions {
  serverUrl: string;
  request: JoinRequest;
  ca?: string[];
  logger: Logger;
  /** How long to keep trying a server that does not answer, or answers 429 or 5xx. @default 120_000 (milliseconds) */
  timeoutMs?: number;
  /** Deadline of one attempt. @default 15_000 (milliseconds) */
  attemptTimeoutMs?: number;
  /** @default Date.now */
  now?: () => number;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/** What each refusal tells the operator to do. */
const ADVICE: Record<JoinRefusalCode, string> = {
  JOIN_CODE_UNKNOWN: 'the server knows no such join code; check it, or ask for a new one (POST /api/nodes/:id/join)',
  JOIN_CODE_EXPIRED: 'the join code has expired; ask the server for a new one (POST /api/nodes/:id/join)',
  JOIN_CODE_USED: 'the join code was used already, by another exchange; ask the server for a new one (POST /api/nodes/:id/join)',
  TOO_MANY_ATTEMPTS: 'too many failed join attempts from this address; wait and try again',
  BAD_REQUEST: 'the server did not understand the join request',
};

/**
 * Trades a join code for the node's token: `POST <server origin>/api/agent/join`. A lost
 * answer is harmless: the request carries the exchange id the caller kept on disk, and the
 * server answers the same id with the same token. Unreachable servers, 429 (after its
 * `Retry-After`) and 5xx are retried with backoff until `timeoutMs`; any other refusal is
 * final (`JoinRefusedError`, with what to do).
 */
export async function joinExchange(options: JoinExchangeOptions): Promise<JoinAnswer> {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? 120_000);
  const url = new URL(JOIN_PATH, serverOrigin(options.serverUrl));
  const body = JSON.stringify(options.request);
  for (let attempt = 0; ; attempt++) {
    let retryInMs: number;
    let why: string;
    try {
      const res = await requestServer(url, { method: 'POST', body, ca: options.ca, timeoutMs: options.attemptTimeoutMs ?? 15_000 });
      const text = await readBody(res, MAX_ANSWER_BYTES);
      const status = res.statusCode ?? 0;
      if (status === 200) {
        const answer = JoinAnswer.safeParse(safeJson(text));
        if (!answer.success) throw new JoinRefusedError('BAD_ANSWER', 'the server answered the join without a node token (a compact JWT)');
        return answer.data;
      }
      const refusal = JoinRefusal.safeParse(safeJson(text));
      const code = refusal.success ? refusal.data.error.code : null;
      if (status !== 429 && status < 500) {
        throw new JoinRefusedError(code ?? 'BAD_ANSWER', code ? `join refused (${code}): ${ADVICE[code]}` : `join refused with HTTP ${status}`);
      }
      const retryAfter = Number(res.headers['retry-after']);
      retryInMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoffDelay(attempt, { baseDelayMs: 500, maxDelayMs: 10_000 });
      why = code ? `${code} (HTTP ${status})` : `HTTP ${status}`;
    } catch (error) {
      if (error instanceof JoinRefusedError) throw error;
      retryInMs = backoffDelay(attempt, { baseDelayMs: 500, maxDelayMs: 10_000 });
      why = (error as Error).message;
    }
    if (now() + retryInMs > deadline) throw new JoinTimeoutError(`the server did not complete the join in time (last: ${why})`);
    options.logger.warn('join attempt failed; retrying with the same exchange id', { reason: why, retryInMs });
    await new Promise((resolve) => setTimeout(resolve, retryInMs));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
