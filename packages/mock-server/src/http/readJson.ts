import type { IncomingMessage } from 'node:http';
import { toValidationIssues } from '@lormas/protocol';
import type { z } from 'zod';
import { ServerError } from '../errors.js';

/**
 * Reads a JSON request body of at most `maxBytes` and parses it with `schema`. Too big is a
 * `PAYLOAD_TOO_LARGE`; not JSON, or JSON the schema refuses, is a `BAD_REQUEST` carrying
 * every issue zod found. An empty body reads as `{}`.
 */
export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S, maxBytes: number): Promise<z.output<S>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new ServerError('PAYLOAD_TOO_LARGE', `the body may be at most ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new ServerError('PAYLOAD_TOO_LARGE', `the body may be at most ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ServerError('BAD_REQUEST', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ServerError('BAD_REQUEST', 'the body does not match the expected shape', { issues: toValidationIssues(parsed.error) });
  return parsed.data;
}
