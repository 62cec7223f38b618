import type { IncomingMessage } from 'node:http';
import { toValidationIssues, type ValidationIssue } from '@lormas/protocol';
import type { z } from 'zod';
import { ServerError } from '../errors.js';
import type { HttpLimits } from './HttpLimits.js';
import { readBody } from './readBody.js';

/** An answer lists at most this many issues, each message cut to `MAX_ISSUE_CHARS`: a body of 100,000 bad items must not come back tenfold. */
export const MAX_ISSUES = 20;
export const MAX_ISSUE_CHARS = 200;

/** `application/json` or any `application/*+json`, with at most a UTF-8 charset. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** Whether the request says it carries a body (RFC 9112, section 6.3). */
const declaresBody = (req: IncomingMessage) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The first thing about a parsed body that no schema should have to meet: a `__proto__`
 * key (harmless in `JSON.parse`'s result, but a prototype change for any code that copies
 * the object with assignment), or nesting deeper than `maxDepth`. Walks without recursion.
 */
function shapeIssue(value: unknown, maxDepth: number): ValidationIssue | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (path.length >= maxDepth) return { code: 'too_deep', path, message: `the body nests deeper than ${maxDepth} levels` };
    if (Array.isArray(node)) {
      node.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(node)) {
      if (key === '__proto__') return { code: 'forbidden_key', path: [...path, key], message: 'the key "__proto__" is not allowed' };
      stack.push({ value: item, path: [...path, key] });
    }
  }
  return null;
}

/** zod's issues as an answer lists them: the first `MAX_ISSUES`, messages cut to `MAX_ISSUE_CHARS`. */
export function answerIssues(error: z.ZodError): ValidationIssue[] {
  return toValidationIssues(error)
    .slice(0, MAX_ISSUES)
    .map((issue) => ({ ...issue, message: issue.message.slice(0, MAX_ISSUE_CHARS) }));
}

/**
 * Reads a JSON request body and parses it with `schema` (the route's own). In order:
 * a body with another media type is `UNSUPPORTED_MEDIA_TYPE`; one over `maxBodyBytes`
 * is `PAYLOAD_TOO_LARGE`, from its declared length or as soon as it grows past it; bytes
 * that are not UTF-8 or text that is not JSON, a `__proto__` key, nesting past
 * `maxJsonDepth`, or a value the schema refuses are each a `BAD_REQUEST` with issues. An
 * empty body reads as `{}`.
 */
export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S, limits: Pick<HttpLimits, 'maxBodyBytes' | 'maxJsonDepth'>): Promise<z.output<S>> {
  if (declaresBody(req) && !JSON_MEDIA_TYPE.test(req.headers['content-type'] ?? '')) {
    throw new ServerError('UNSUPPORTED_MEDIA_TYPE', 'a body must be JSON: Content-Type: application/json');
  }
  const bytes = await readBody(req, limits.maxBodyBytes);
  let value: unknown = {};
  if (bytes.length > 0) {
    try {
      const text = decoder.decode(bytes).trim();
      value = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new ServerError('BAD_REQUEST', 'the body is not valid JSON in UTF-8');
    }
  }
  const issue = shapeIssue(value, limits.maxJsonDepth);
  if (issue) throw new ServerError('BAD_REQUEST', issue.message, { issues: [issue] });
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ServerError('BAD_REQUEST', 'the body does not match the expected shape', { issues: answerIssues(parsed.error) });
  return parsed.data;
}
