import fc from 'fast-check';

/** A JSON Schema (draft 2020-12), as `z.toJSONSchema` emits it. */
export type JsonSchema = boolean | { [keyword: string]: unknown };

export interface JsonSchemaArbitraryOptions {
  /** Longest string where the schema sets no `maxLength`. @default 24 (characters) */
  maxStringLength?: number;
  /** Most items of an array, or entries of a map, where the schema sets no maximum. @default 4 (items) */
  maxItems?: number;
  /** How deep `$ref`s may recurse before only required fields are generated. @default 3 (levels) */
  maxRefDepth?: number;
  /**
   * The chance that each optional property is present, 0 to 1. Lower it when optional fields
   * that must name something real (a cluster) would otherwise refuse most values. @default 0.5
   */
  optionalChance?: number;
  /**
   * Wraps every string arbitrary, e.g. to mix in values the system under test knows (ids it
   * handed out), which random strings would never hit. @default none
   */
  strings?: (generated: fc.Arbitrary<string>, schema: JsonSchema) => fc.Arbitrary<string>;
}

type Node = { [keyword: string]: unknown };

const asNode = (schema: unknown): Node => (schema && typeof schema === 'object' ? (schema as Node) : {});
const numberOr = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);

/**
 * Values that a JSON Schema accepts, as a fast-check arbitrary: what a structure-aware
 * fuzzer mutates. It reads the keywords zod emits (`type`, `properties`, `required`,
 * `additionalProperties`, `propertyNames`, `items`, `prefixItems`, `enum`, `const`,
 * `anyOf`, `oneOf`, `allOf`, `$ref`, lengths, bounds, `pattern`, `format: date-time`);
 * constraints JSON Schema cannot express (zod's `refine`) may refuse a few of its values.
 */
export function arbitraryFromJsonSchema(schema: JsonSchema, options: JsonSchemaArbitraryOptions = {}): fc.Arbitrary<unknown> {
  const maxStringLength = options.maxStringLength ?? 24;
  const maxItems = options.maxItems ?? 4;
  const maxRefDepth = options.maxRefDepth ?? 3;
  const optionalChance = options.optionalChance ?? 0.5;
  if (!(optionalChance >= 0 && optionalChance <= 1)) throw new TypeError(`arbitraryFromJsonSchema: optionalChance must be between 0 and 1 (got ${optionalChance})`);
  const ABSENT = Symbol('absent');
  const root = schema;

  const resolve = (ref: string): JsonSchema => {
    if (ref === '#') return root;
    const match = /^#\/\$defs\/(.+)$/.exec(ref);
    const found = match ? asNode(asNode(root)['$defs'])[decodeURIComponent(match[1]!)] : undefined;
    if (found === undefined) throw new TypeError(`arbitraryFromJsonSchema: cannot resolve $ref "${ref}"`);
    return found as JsonSchema;
  };

  const string = (node: Node): fc.Arbitrary<string> => (options.strings ? options.strings(plainString(node), node) : plainString(node));

  const plainString = (node: Node): fc.Arbitrary<string> => {
    const minLength = numberOr(node['minLength'], 0);
    const maxLength = numberOr(node['maxLength'], minLength + maxStringLength);
    const fits = (text: string) => text.length >= minLength && text.length <= maxLength;
    if (typeof node['pattern'] === 'string') {
      // A pattern bounds its own length (`{86}`): only the schema's own bounds filter it, never the default.
      const schemaMax = numberOr(node['maxLength'], Infinity);
      const allowed = (text: string) => text.length >= minLength && text.length <= schemaMax;
      return fc.stringMatching(new RegExp(lengthBoundPattern(node['pattern'], minLength, schemaMax, maxStringLength))).filter(allowed);
    }
    if (node['format'] === 'date-time') return fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4102444800000) }).map((date) => date.toISOString());
    const bounds = { minLength, maxLength: Math.min(maxLength, minLength + maxStringLength) };
    // Mostly ASCII, sometimes any printable grapheme; a grapheme may take two UTF-16 units, hence the filter.
    return fc.oneof({ arbitrary: fc.string(bounds), weight: 3 }, { arbitrary: fc.string({ ...bounds, unit: 'grapheme' }), weight: 1 }).filter(fits);
  };

  const number = (node: Node, integer: boolean): fc.Arbitrary<number> => {
    const exclusiveMin = typeof node['exclusiveMinimum'] === 'number';
    const exclusiveMax = typeof node['exclusiveMaximum'] === 'number';
    const min = numberOr(node['minimum'], numberOr(node['exclusiveMinimum'], -1e9));
    const max = numberOr(node['maximum'], numberOr(node['exclusiveMaximum'], 1e9));
    if (integer) {
      const low = Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(min) + (exclusiveMin && Number.isInteger(min) ? 1 : 0));
      const high = Math.min(Number.MAX_SAFE_INTEGER, Math.floor(max) - (exclusiveMax && Number.isInteger(max) ? 1 : 0));
      return fc.integer({ min: low, max: high });
    }
    return fc.double({ min, max, minExcluded: exclusiveMin, maxExcluded: exclusiveMax, noNaN: true, noDefaultInfinity: true });
  };

  const object = (node: Node, depth: number): fc.Arbitrary<unknown> => {
    const properties = asNode(node['properties']);
    const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
    // Past the recursion limit only what is required is built, so recursive schemas end.
    const names = Object.keys(properties).filter((name) => required.has(name) || depth < maxRefDepth);
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const name of names) {
      const value = build(properties[name] as JsonSchema, depth);
      // Out of 100: present `optionalChance` of the time, else left out.
      const present = Math.round(optionalChance * 100);
      model[name] = required.has(name) ? value : fc.oneof({ weight: 100 - present, arbitrary: fc.constant(ABSENT) }, { weight: present, arbitrary: value });
    }
    const declared = fc.record(model).map((fields) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ABSENT)));
    const extra = node['additionalProperties'];
    if (extra === undefined || extra === false || depth >= maxRefDepth) return declared;
    const keys = node['propertyNames'] ? (build(node['propertyNames'] as JsonSchema, depth) as fc.Arbitrary<string>) : fc.string({ minLength: 1, maxLength: 12 });
    const free = fc.dictionary(
      keys.filter((key) => !(key in properties) && key !== '__proto__'),
      build(extra === true ? {} : (extra as JsonSchema), depth + 1),
      { maxKeys: numberOr(node['maxProperties'], maxItems) },
    );
    return fc.tuple(declared, free).map(([fields, more]) => ({ ...more, ...fields }));
  };

  const array = (node: Node, depth: number): fc.Arbitrary<unknown[]> => {
    const prefix = Array.isArray(node['prefixItems']) ? (node['prefixItems'] as JsonSchema[]).map((item) => build(item, depth + 1)) : [];
    const minLength = Math.max(0, numberOr(node['minItems'], 0) - prefix.length);
    const maxLength = Math.max(minLength, Math.min(numberOr(node['maxItems'], Infinity) - prefix.length, minLength + maxItems));
    const rest = node['items'] === undefined || node['items'] === false ? fc.constant([]) : fc.array(build(node['items'] as JsonSchema, depth + 1), { minLength, maxLength });
    return fc.tuple(fc.tuple(...prefix), rest).map(([head, tail]) => [...head, ...tail]);
  };

  const build = (schema: JsonSchema, depth: number): fc.Arbitrary<unknown> => {
    if (schema === false) throw new TypeError('arbitraryFromJsonSchema: the schema `false` accepts nothing');
    const node = asNode(schema);
    if (typeof node['$ref'] === 'string') return fc.constant(null).chain(() => build(resolve(node['$ref'] as string), depth + 1));
    if ('const' in node) return fc.constant(node['const']);
    if (Array.isArray(node['enum'])) return fc.constantFrom(...(node['enum'] as unknown[]));
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      if (Array.isArray(node[keyword])) return fc.oneof(...(node[keyword] as JsonSchema[]).map((option) => build({ ...node, [keyword]: undefined, ...asNode(option) }, depth)));
    }
    if (Array.isArray(node['allOf'])) return build(Object.assign({ ...node, allOf: undefined }, ...(node['allOf'] as Node[]).map(asNode)), depth);
    const type = node['type'] ?? (node['properties'] ? 'object' : node['items'] ? 'array' : undefined);
    if (Array.isArray(type)) return fc.oneof(...type.map((one) => build({ ...node, type: one }, depth)));
    switch (type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return number(node, true);
      case 'number':
        return number(node, false);
      case 'string':
        return string(node);
      case 'array':
        return array(node, depth);
      case 'object':
        return object(node, depth);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  };

  return build(schema, 0);
}

/**
 * A pattern whose last part is a character class repeated (`^[A-Za-z0-9_-]+$`) with its
 * repetition bounded by the schema's lengths: `fc.stringMatching` alone makes short strings,
 * and a `minLength` of 22 beside it would leave the length filter refusing nearly every one.
 */
function lengthBoundPattern(pattern: string, minLength: number, maxLength: number, maxStringLength: number): string {
  const tail = /(\[(?:\\.|[^\]\\])+\])[+*]\$$/.exec(pattern);
  if (!tail || minLength === 0) return pattern;
  const head = pattern.slice(0, tail.index);
  const fixed = head === '^' ? 0 : 1;
  const least = Math.max(0, minLength - fixed);
  const most = Math.max(least, Math.min(maxLength, minLength + maxStringLength) - fixed);
  return `${head}${tail[1]}{${least},${most}}$`;
}
