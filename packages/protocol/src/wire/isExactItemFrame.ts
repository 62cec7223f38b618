import { hasKeysInOrder, isInt, isPlainObject, isString } from '../schemas/exactForm.js';
import { Limit } from '../schemas/limits.js';
import type { AgentFrame } from './frames.js';

/**
 * Whether `value`, as `JSON.parse` made it, is a stream item's frame exactly as the
 * `AgentFrame` schema would give it back: `{ id, jsonrpc?, result: { type?, id?, data } }`,
 * those keys in that order, `type` (if there) `data`, every bound met. Such a value parses as
 * a `ResultFrame` (the union's first option), and the schema's output is an equal copy of it,
 * so the server may take it as it is. `false` says nothing: the schema decides.
 *
 * Why: nearly every frame an agent sends is an item (2,000 heartbeats a second at 10,000
 * agents), and zod's union copied each one's envelope twice over (issue 16). This check
 * allocates nothing; `isExactItemFrame.test.ts` holds it to the schema.
 */
export function isExactItemFrame(value: unknown): value is AgentFrame {
  if (!isPlainObject(value) || !hasKeysInOrder(value, FRAME_KEYS, FRAME_REQUIRED)) return false;
  const { id, jsonrpc, result } = value;
  if (!(id === null || isRequestId(id)) || !(jsonrpc === '2.0' || (jsonrpc === undefined && !Object.hasOwn(value, 'jsonrpc')))) return false;
  if (!isPlainObject(result) || !hasKeysInOrder(result, RESULT_KEYS, RESULT_REQUIRED)) return false;
  const { type, id: eventId } = result;
  return (type === 'data' || (type === undefined && !Object.hasOwn(result, 'type'))) && (isString(eventId, Limit.idChars) || (eventId === undefined && !Object.hasOwn(result, 'id')));
}

const FRAME_KEYS = ['id', 'jsonrpc', 'result'] as const;
const FRAME_REQUIRED = ['id', 'result'];
const RESULT_KEYS = ['type', 'id', 'data'] as const;
/** `data` is `z.unknown()`, which zod lets be absent; a frame without it goes to the schema. */
const RESULT_REQUIRED = ['data'];

/** The schema's `RequestId`: a safe integer from 0, or a string of 1 to `Limit.idChars` (in UTF-16 units, never fewer than zod's code points). */
function isRequestId(id: unknown): boolean {
  if (typeof id === 'string') return id.length >= 1 && id.length <= Limit.idChars;
  return isInt(id, 0, Number.MAX_SAFE_INTEGER);
}
