/**
 * The pieces the exact-form checks share (`isExactHeartbeat`, `isExactItemFrame`): tests on
 * values as `JSON.parse` made them that allocate nothing, each as strict as the zod rule it
 * stands for, or stricter (a value they refuse goes to the schema).
 */

/** An object as `JSON.parse` makes one; anything else (arrays, class instances, null prototypes) goes to the schema. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Whether `object`'s enumerable keys are exactly `keys`, in their order (the heartbeat's objects, on its hot path). */
export function hasExactKeys(object: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in object) if (key !== keys[i++]) return false;
  return i === keys.length;
}

/** Whether `object`'s enumerable keys are some of `keys`, each once, in their order, with every one of `required` among them. */
export function hasKeysInOrder(object: object, keys: readonly string[], required: readonly string[]): boolean {
  let next = 0;
  let requiredSeen = 0;
  for (const key in object) {
    const at = keys.indexOf(key, next);
    if (at === -1) return false;
    if (required.includes(key)) requiredSeen++;
    next = at + 1;
  }
  return requiredSeen === required.length;
}

/** zod's `z.number()` with `.min()` and `.max()`: finite, within the bounds. */
export const isNumber = (value: unknown, min: number, max: number): boolean => typeof value === 'number' && value >= min && value <= max;

/** zod's `.int()`: a safe integer, within the bounds. */
export const isInt = (value: unknown, min: number, max: number): boolean => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

/**
 * zod's `.max()`, in UTF-16 units: never fewer than the code points zod 4.6 counts (older
 * versions count units too), so a string taken here fits the schema either way; a longer one
 * made of surrogate pairs is left to the schema.
 */
export const isString = (value: unknown, maxChars: number): boolean => typeof value === 'string' && value.length <= maxChars;
