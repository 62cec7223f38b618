import { mutatedJson } from '@lormas/testkit';
import fc from 'fast-check';
import superjson from 'superjson';

/** A value as an agent puts it in a frame's `data` (or `error`) member: transformer-encoded JSON text. */
export interface EncodedValue {
  /** The member's JSON text, bytes as sent (a mutation may break the UTF-8); undefined leaves the member out. */
  bytes: Buffer | undefined;
  /** How it was made, for the report: `valid`, `mutated huge-string`, `encoding bigint`. */
  label: string;
}

export interface EncodingOptions {
  /** Lengths of huge strings and arrays: put some past the contract's bounds. */
  hugeLengths: number[];
  /** Depths of deep nesting, in levels. */
  nestingDepths: number[];
}

/** The encoding a well-behaved agent sends: superjson's format (`{"json": value}`, with `meta` for `undefined`). */
export function validEncoding(value: unknown): EncodedValue {
  return { bytes: Buffer.from(JSON.stringify(superjson.serialize(value))), label: 'valid' };
}

/**
 * The value broken by one of testkit's JSON mutations (wrong types, missing, extra and null
 * fields, `__proto__` keys, huge strings and arrays, deep nesting, broken JSON and UTF-8),
 * inside an intact `{"json": ...}` wrapper: the frame around it stays well formed unless the
 * mutation broke the JSON itself.
 */
export function mutatedEncoding(value: unknown, options: EncodingOptions): fc.Arbitrary<EncodedValue> {
  return mutatedJson(fc.constant(value ?? null), options).map(({ mutation, bytes }) => ({
    bytes: Buffer.concat([Buffer.from('{"json":'), bytes, Buffer.from('}')]),
    label: `mutated ${mutation}`,
  }));
}

/**
 * Payloads that break the transformer's encoding rather than the value: annotations of
 * classes that do not exist, of paths that do not exist or climb into `__proto__`, `meta`
 * of the wrong type, superjson's own non-JSON types where the contract has plain values
 * (a BigInt, a Map, a Date, an Error), and payloads that are not superjson objects at all.
 */
const BROKEN_ENCODINGS: [label: string, make: (json: string) => string | undefined][] = [
  ['unknown class', (json) => `{"json":${json},"meta":{"values":{"":["class","NoSuchClass"]},"v":1}}`],
  ['unknown custom type', (json) => `{"json":${json},"meta":{"values":[["custom","no-such-type"]],"v":1}}`],
  ['annotation of a missing path', (json) => `{"json":${json},"meta":{"values":{"no.such.path":["undefined"]},"v":1}}`],
  ['annotation through __proto__', (json) => `{"json":${json},"meta":{"values":{"__proto__.polluted":["undefined"]},"v":1}}`],
  ['annotation through constructor', (json) => `{"json":${json},"meta":{"values":{"constructor.prototype.polluted":["Date"]},"v":1}}`],
  ['meta not an object', (json) => `{"json":${json},"meta":"values"}`],
  ['meta values not an object', (json) => `{"json":${json},"meta":{"values":42}}`],
  ['referential equality to nowhere', (json) => `{"json":${json},"meta":{"referentialEqualities":{"":["no.such.path"]},"v":1}}`],
  ['unknown meta version', (json) => `{"json":${json},"meta":{"v":999}}`],
  ['the value as a Date', (json) => `{"json":${json},"meta":{"values":["Date"],"v":1}}`],
  ['the value as a Set', (json) => `{"json":${json},"meta":{"values":["set"],"v":1}}`],
  ['a BigInt', () => '{"json":"123456789012345678901234567890","meta":{"values":["bigint"],"v":1}}'],
  ['a Map', () => '{"json":[["containerId","c1"]],"meta":{"values":["map"],"v":1}}'],
  ['a RegExp', () => '{"json":"/.*/g","meta":{"values":["regexp"],"v":1}}'],
  ['an Error', () => '{"json":{"name":"Error","message":"boom"},"meta":{"values":["Error"],"v":1}}'],
  ['NaN', () => '{"json":"NaN","meta":{"values":["number"],"v":1}}'],
  ['no json member', () => '{}'],
  ['not a superjson object: a string', () => '"payload"'],
  ['not a superjson object: null', () => 'null'],
  ['not a superjson object: an array', (json) => `[${json}]`],
  ['the bare value, unwrapped', (json) => json],
  ['left out', () => undefined],
];

export function brokenEncoding(value: unknown): fc.Arbitrary<EncodedValue> {
  const json = JSON.stringify(value ?? null);
  return fc.constantFrom(...BROKEN_ENCODINGS).map(([label, make]) => {
    const text = make(json);
    return { bytes: text === undefined ? undefined : Buffer.from(text), label: `encoding: ${label}` };
  });
}

/**
 * Decodes a member the way the superjson format says (what the server end must agree with):
 * `undefined` when the member is absent, a failure when it is no superjson payload or
 * superjson refuses it.
 */
export function decodeMember(member: unknown): { ok: true; value: unknown } | { ok: false } {
  if (member === undefined) return { ok: true, value: undefined };
  if (typeof member !== 'object' || member === null) return { ok: false };
  try {
    return { ok: true, value: superjson.deserialize(member as never) };
  } catch {
    return { ok: false };
  }
}
