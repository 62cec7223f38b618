import { isDeepStrictEqual } from 'node:util';
import { Limit, LogStream, OperationEvent, PullResult } from '@lormas/protocol';
import { z } from 'zod';
import type { TimedAnswer } from './timedCall.js';
import { ContainerView, MigrationView } from '../../src/http/viewSchemas.js';

/** What a route answers with when it succeeds. */
export type AnswerShape = 'container' | 'pull' | 'migration' | 'logs' | 'nothing';

const ErrorDetail = z.strictObject({
  code: z.string().regex(/^[A-Z_]+$/),
  message: z.string().max(Limit.messageChars + 256),
  issues: z.array(z.object({ code: z.string(), path: z.array(z.union([z.string(), z.number()])), message: z.string() })).max(Limit.issues).optional(),
  rule: z.string().max(Limit.shortChars).optional(),
  engineStatus: z.number().int().optional(),
});
const ErrorBody = z.strictObject({ error: ErrorDetail });

/** Where the server placed a container, with the figures of each candidate from its heartbeats. */
const Placement = z.strictObject({
  nodeId: z.string(),
  nodeName: z.string(),
  scope: z.enum(['cluster', 'any']),
  reason: z.string(),
  candidates: z.array(z.strictObject({ nodeId: z.string(), nodeName: z.string(), containers: z.number().int().min(0), cpuPercent: z.number().min(0).max(100), memoryPercent: z.number().min(0) })),
});
// Create answers with `placement` besides; the other container routes without.
const CreatedContainer = z.strictObject({ ...ContainerView.shape, placement: Placement.nullable().optional() });
const Pulled = z.strictObject(PullResult.shape);
const SUCCESS: Record<Exclude<AnswerShape, 'logs' | 'nothing'>, z.ZodType> = { container: CreatedContainer, pull: Pulled, migration: MigrationView };
const LogLine = z.strictObject({ stream: LogStream, line: z.string().max(Limit.logLineChars) });
const Step = z.strictObject({ name: z.string(), status: z.string(), detail: z.string().max(Limit.messageChars + 256).nullable(), at: z.string() });

/**
 * A success, an error the API documents (an agent's refusal keeps its code: 4xx, 501, 502,
 * 503, 504; an agent's own `INTERNAL` is a 500, whose log line the fuzzer checks), or
 * nothing else. The statuses an agent can cause, and how an HTTP reader must see them.
 */
const allowedStatus = (status: number) => (status >= 200 && status < 300) || (status >= 400 && status < 600 && status !== 505);

/** A streamed line must come back unchanged from its schema: a field an agent added has been dropped, a bound kept. */
const fixedPoint = (schema: z.ZodType, value: unknown) => {
  const parsed = schema.safeParse(value);
  return parsed.success && isDeepStrictEqual(parsed.data, value);
};

function lineProblems(shape: AnswerShape, line: unknown): string | null {
  const value = line as { type?: unknown; error?: unknown; result?: unknown; migration?: unknown; step?: unknown } | null;
  // The line that ends a stream in failure.
  if (value?.type === 'error') return ErrorDetail.safeParse(value.error).success ? null : 'an error line that is not the documented error';
  switch (shape) {
    case 'logs':
      return LogLine.safeParse(line).success ? null : 'a log line that breaks the contract';
    case 'migration':
      if (value?.type === 'migration') return MigrationView.safeParse(value.migration).success ? null : 'a migration line that breaks the view';
      if (value?.type === 'step') return Step.safeParse(value.step).success ? null : 'a step line that breaks the view';
      if (value?.type === 'result') return MigrationView.safeParse(value.result).success ? null : 'a result line that breaks the view';
      return 'a line of no known type';
    case 'container':
    case 'pull':
      if (value?.type === 'result') return SUCCESS[shape].safeParse(value.result).success ? null : 'a result line that breaks the view';
      return fixedPoint(OperationEvent, line) ? null : 'a progress line that is no operation event of the contract';
    case 'nothing':
      return null;
  }
}

/**
 * What is wrong with one answer of the API to a request the fuzzer made while agents sent
 * whatever they liked: no answer in time, a status an agent may not cause, an error body
 * that is not the documented one, a success or a streamed line whose values the contract
 * or the API's views do not allow. Empty when all is well.
 */
export function apiAnswerProblems(label: string, answer: TimedAnswer, shape: AnswerShape): string[] {
  // A stream whose headers wait for its first line may not have started within the read window.
  if (answer.status === null && answer.cut === 'read-window') return [];
  if (answer.status === null) return [`${label}: ${answer.cut === 'deadline' ? 'no answer before the deadline' : `no answer (${answer.error})`}`];
  const where = `${label}: answered ${answer.status} ${answer.text.slice(0, 300)}`;
  if (!allowedStatus(answer.status)) return [`${where}: a status no agent may cause`];
  const problems: string[] = [];
  if (answer.contentType.startsWith('application/x-ndjson')) {
    // Whole lines only: a stream read for a while may stop mid-line.
    const lines = answer.cut ? answer.text.split('\n').slice(0, -1) : answer.text.split('\n');
    for (const text of lines.filter((line) => line.trim())) {
      let line: unknown;
      try {
        line = JSON.parse(text);
      } catch {
        problems.push(`${where}: a streamed line that is not JSON: ${text.slice(0, 200)}`);
        continue;
      }
      const problem = lineProblems(shape, line);
      if (problem) problems.push(`${where}: ${problem}: ${text.slice(0, 300)}`);
    }
    return problems;
  }
  if (answer.cut) return problems;
  let body: unknown;
  try {
    body = answer.text ? JSON.parse(answer.text) : null;
  } catch {
    return [`${where}: a body that is not JSON`];
  }
  if (answer.status >= 400) {
    if (!ErrorBody.safeParse(body).success) problems.push(`${where}: not the documented error body`);
    else if (answer.status === 500 && (body as z.infer<typeof ErrorBody>).error.code !== 'INTERNAL') problems.push(`${where}: a 500 that is not INTERNAL`);
  } else if (shape !== 'nothing' && shape !== 'logs') {
    const parsed = SUCCESS[shape].safeParse(body);
    if (!parsed.success) problems.push(`${where}: a success the view does not allow: ${z.prettifyError(parsed.error).slice(0, 400)}`);
  }
  return problems;
}
