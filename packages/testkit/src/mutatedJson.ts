import fc from 'fast-check';

/** The ways `mutatedJson` breaks a valid value. */
export const JSON_MUTATIONS = [
  'wrong-type',
  'missing-field',
  'extra-field',
  'null-field',
  'proto-key',
  'constructor-key',
  'huge-string',
  'huge-array',
  'deep-nesting',
  'bad-json',
  'bad-utf8',
  'not-an-object',
] as const;
export type JsonMutation = (typeof JSON_MUTATIONS)[number];

export interface MutatedJson {
  mutation: JsonMutation;
  /** The bytes to send. */
  bytes: Buffer;
}

export interface MutatedJsonOptions {
  /** Lengths of huge strings and arrays, one chosen per value; put some above the receiver's limit. @default [10_000, 200_000, 2_000_000] */
  hugeLengths?: number[];
  /** Depths of deep nesting, one chosen per value. @default [64, 10_000, 500_000] (levels) */
  nestingDepths?: number[];
}

type Path = (string | number)[];

/** Every path into `value`, the root first. */
function pathsOf(value: unknown): Path[] {
  const paths: Path[] = [];
  const stack: [unknown, Path][] = [[value, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    paths.push(path);
    if (node && typeof node === 'object') for (const [key, item] of Object.entries(node)) stack.push([item, [...path, Array.isArray(node) ? Number(key) : key]]);
  }
  return paths;
}

const at = (value: unknown, path: Path): unknown => path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** Replaces the node at `path`; the root is replaced by returning the new value. */
function replaced(value: unknown, path: Path, next: unknown): unknown {
  if (path.length === 0) return next;
  (at(value, path.slice(0, -1)) as Record<string | number, unknown>)[path.at(-1)!] = next;
  return value;
}

/** Sets an own, enumerable property, even `__proto__`, as `JSON.parse` would. */
const defineKey = (object: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });

const OTHER_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, '', 'text', [], {}, [1, 'two'], { nested: { deeper: [] } }];
const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const EXTRA_KEYS = ['unexpected', '', ' ', 'constructor', 'prototype', 'toString', '\u0000', 'k'.repeat(1_000), '\u{1F4A5}', '$where'];
const BAD_JSON: ((text: string, pick: number) => string)[] = [
  (text, pick) => text.slice(0, pick % Math.max(1, text.length)),
  (text) => `${text}garbage`,
  (text) => `${text},`,
  (text) => text.replace(/"/g, "'"),
  (text) => text.replace(/:/, ''),
  (text) => `/* comment */${text}`,
  () => '{"a": NaN}',
  () => '{"a": Infinity}',
  () => '{"a": 0x10}',
  () => '{"a": undefined}',
  () => '{"a": 1}{"b": 2}',
  () => '\u0000',
  () => '{"\\ud800": "\\udfff"}',
  () => '{"a": "\\u00zz"}',
];

/**
 * Mutations of valid JSON values for a structure-aware fuzzer: wrong types, missing, extra
 * and null fields, `__proto__` and `constructor` keys, huge strings and arrays, deep
 * nesting, broken JSON and broken UTF-8, and top-level values that are not objects. Each
 * is applied at a point of the value chosen by fast-check, so it shrinks and replays.
 */
export function mutatedJson(valid: fc.Arbitrary<unknown>, options: MutatedJsonOptions = {}): fc.Arbitrary<MutatedJson> {
  const hugeLengths = options.hugeLengths ?? [10_000, 200_000, 2_000_000];
  const nestingDepths = options.nestingDepths ?? [64, 10_000, 500_000];
  return fc
    .record({
      value: valid,
      mutation: fc.constantFrom(...JSON_MUTATIONS),
      pick: fc.nat(),
      other: fc.nat(),
      huge: fc.constantFrom(...hugeLengths),
      depth: fc.constantFrom(...nestingDepths),
    })
    .map(({ value: original, mutation, pick, other, huge, depth }) => {
      // A copy the mutation may change; JSON in, JSON out.
      const value: unknown = JSON.parse(JSON.stringify(original) ?? 'null');
      const paths = pathsOf(value);
      const path = paths[pick % paths.length]!;
      const objectPaths = paths.filter((candidate) => isObject(at(value, candidate)));
      const objectPath = objectPaths.length > 0 ? objectPaths[pick % objectPaths.length]! : null;
      const fieldPaths = paths.filter((candidate) => candidate.length > 0 && isObject(at(value, candidate.slice(0, -1))));
      const fieldPath = fieldPaths.length > 0 ? fieldPaths[pick % fieldPaths.length]! : null;
      // Huge and deep parts are spliced into the text, not built as values: cheap at any size.
      const PLACEHOLDER = '\u0001placeholder\u0001';
      const splice = (part: string) => {
        const text = JSON.stringify(replaced(value, path, PLACEHOLDER));
        return Buffer.from(text.replace(JSON.stringify(PLACEHOLDER), part));
      };
      const text = (next: unknown) => Buffer.from(JSON.stringify(next));
      switch (mutation) {
        case 'wrong-type': {
          const choices = OTHER_VALUES.filter((candidate) => typeOf(candidate) !== typeOf(at(value, path)));
          return { mutation, bytes: text(replaced(value, path, choices[other % choices.length])) };
        }
        case 'missing-field':
          if (fieldPath) delete (at(value, fieldPath.slice(0, -1)) as Record<string, unknown>)[fieldPath.at(-1) as string];
          return { mutation, bytes: text(fieldPath ? value : {}) };
        case 'null-field':
          return { mutation, bytes: text(fieldPath ? replaced(value, fieldPath, null) : null) };
        case 'extra-field':
        case 'proto-key':
        case 'constructor-key': {
          const target = objectPath ? (at(value, objectPath) as Record<string, unknown>) : {};
          if (mutation === 'extra-field') defineKey(target, EXTRA_KEYS[other % EXTRA_KEYS.length]!, OTHER_VALUES[other % OTHER_VALUES.length]);
          else if (mutation === 'proto-key') defineKey(target, '__proto__', { polluted: true, isAdmin: true });
          else defineKey(target, 'constructor', { prototype: { polluted: true } });
          return { mutation, bytes: text(objectPath ? value : target) };
        }
        case 'huge-string':
          return { mutation, bytes: splice(JSON.stringify((other % 2 === 0 ? 'x' : '\u00e9\u{1F4A5}').repeat(huge))) };
        case 'huge-array':
          return { mutation, bytes: splice(`[${'0,'.repeat(huge - 1)}0]`) };
        case 'deep-nesting':
          return { mutation, bytes: splice(other % 2 === 0 ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) };
        case 'bad-json':
          return { mutation, bytes: Buffer.from(BAD_JSON[other % BAD_JSON.length]!(JSON.stringify(value), pick)) };
        case 'bad-utf8': {
          const bytes = Buffer.from(JSON.stringify(value));
          const cut = pick % (bytes.length + 1);
          const broken = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])][other % 4]!;
          return { mutation, bytes: Buffer.concat([bytes.subarray(0, cut), broken, bytes.subarray(cut)]) };
        }
        case 'not-an-object':
          return { mutation, bytes: text([null, 42, 'text', [], true, [value]][other % 6]) };
      }
    });
}
