import type * as z from 'zod';

/** Each stand-in's way to its schema, built on the first call. */
const builders = new WeakMap<object, () => z.ZodType>();

/**
 * A schema that is built the first time anything looks at it. zod builds a schema tree
 * eagerly, and building all of the contract's at load cost 4.5 MiB of RSS on Node in a
 * program that loads zod alone, and about 5 MiB on Bun in the bench's memory breakdown
 * (issue 16); an agent builds only those of the procedures a server calls.
 *
 * The stand-in forwards every operation to the built schema, so a caller sees a zod schema
 * (`parse`, `.shape`, `instanceof z.ZodObject`, `z.infer`). Identity is the one difference:
 * the stand-in is not the built object, so code that keys on schema objects (the contract's
 * procedures, the JSON Schema map, schemas that embed others) uses `builtSchema` to reach
 * the built one, and every such place then sees the same object.
 */
export function lazySchema<T extends z.ZodType>(build: () => T): T {
  let built: T | undefined;
  const schema = (): T => (built ??= build());
  // Getters run against the built schema; methods called on the stand-in get the stand-in as
  // `this` and reach the built schema's internals through it.
  const standIn = new Proxy({} as T, {
    get: (_, key) => Reflect.get(schema(), key),
    set: (_, key, value) => Reflect.set(schema(), key, value),
    has: (_, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    // The target is an empty object, so a property must not be reported as fixed (a Proxy invariant).
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(schema(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
  builders.set(standIn, schema);
  return standIn;
}

/**
 * The schema itself behind a `lazySchema` stand-in (built now if it was not), or the
 * argument when it is a schema already. Schemas that embed others embed the built ones, so
 * hot paths (each entry of a log chunk) never pass through a stand-in.
 */
export function builtSchema<T extends z.ZodType>(schema: T): T {
  const build = builders.get(schema);
  return build ? (build() as T) : schema;
}
