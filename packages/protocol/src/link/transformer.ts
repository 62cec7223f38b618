import superjson, { type SuperJSONResult } from 'superjson';

/**
 * The link's data transformer: superjson's wire format, without superjson's cost where it
 * adds nothing. Most of what crosses the link (log chunks above all) is plain JSON already:
 * objects, arrays, strings, booleans, null and finite numbers. For such a value `serialize`
 * sends `{ json: value }` without superjson's walk, and `deserialize` takes a payload with no
 * `meta` as it is, without superjson's deep copy. Anything else (a Date, undefined, NaN,
 * a Map) goes through superjson whole, and so does any object with a key superjson guards
 * against prototype pollution (`__proto__`, `constructor`, `prototype`): superjson refuses
 * to send one and drops `__proto__` on arrival. Both forms are superjson payloads, so either
 * end may be plain superjson.
 */
export const linkTransformer = {
  serialize(value: unknown): SuperJSONResult {
    return isPlainJson(value, 0) ? { json: value as SuperJSONResult['json'] } : superjson.serialize(value);
  },
  deserialize<T = unknown>(payload: SuperJSONResult): T {
    return (payload.meta === undefined && !hasGuardedKey(payload.json, 0) ? payload.json : superjson.deserialize(payload)) as T;
  },
};

/** Past this depth the check gives up and superjson decides (it also handles cycles). */
const MAX_DEPTH = 32;

function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype !== Object.prototype && prototype !== null) return false;
      for (const key in value) {
        if (GUARDED_KEYS.has(key) || !isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

const GUARDED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Whether parsed JSON holds a guarded key anywhere (deeper than MAX_DEPTH counts as yes). */
function hasGuardedKey(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasGuardedKey(value[i], depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (GUARDED_KEYS.has(key) || hasGuardedKey((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}
