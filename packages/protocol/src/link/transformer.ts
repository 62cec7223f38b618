import superjson, { type SuperJSONResult } from 'superjson';

/**
 * The link's data transformer: superjson's wire format, without superjson's cost where it
 * adds nothing. Most of what crosses the link (log chunks above all) is plain JSON already:
 * objects, arrays, strings, booleans, null and finite numbers. For such a value `serialize`
 * sends `{ json: value }` without superjson's walk, and `deserialize` takes a payload with no
 * `meta` as it is, without superjson's deep copy. Anything else (a Date, undefined, NaN,
 * a Map) goes through superjson whole. Both forms are superjson payloads, so either end may
 * be plain superjson.
 */
export const linkTransformer = {
  serialize(value: unknown): SuperJSONResult {
    return isPlainJson(value, 0) ? { json: value as SuperJSONResult['json'] } : superjson.serialize(value);
  },
  deserialize<T = unknown>(payload: SuperJSONResult): T {
    return (payload.meta === undefined ? payload.json : superjson.deserialize(payload)) as T;
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
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
