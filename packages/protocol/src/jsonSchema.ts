import * as z from 'zod';
import { agentContract } from './contract/agentContract.js';
import { flattenContract, type Procedure } from './contract/procedure.js';
import * as schemas from './schemas/index.js';
import { builtSchema } from './schemas/lazySchema.js';
import { JOIN_PATH } from './schemas/join.js';
import { PROTOCOL_VERSION } from './version.js';

/** Every exported schema, by its export name: the names a server in another language uses. */
export function wireSchemas(): Record<string, z.ZodType> {
  return Object.fromEntries(
    Object.entries(schemas as Record<string, unknown>)
      .filter((entry): entry is [string, z.ZodType] => entry[1] instanceof z.ZodType)
      // The built schemas, which the contract's procedures and embedding schemas hold too.
      .map(([name, schema]) => [name, builtSchema(schema)]),
  );
}

const pascal = (path: string) => path.replace(/(^|\.)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());

/** The `$defs` name of a procedure's schema: its export name, or one made from the path (`ContainersListOutput`). */
function nameOf(schema: z.ZodType, path: string, role: 'Input' | 'Output' | 'Item', names: Map<z.ZodType, string>): string {
  let name = names.get(schema);
  if (!name) names.set(schema, (name = `${pascal(path)}${role}`));
  return name;
}

interface ProcedureEntry {
  kind: Procedure['kind'];
  since: string;
  description: string;
  input?: { $ref: string };
  output?: { $ref: string };
  item?: { $ref: string };
  tracked?: boolean;
}

/**
 * The contract as one JSON Schema document (draft 2020-12): every schema under `$defs`,
 * and `procedures`, a map from each procedure's path to its kind, the protocol version that
 * added it, and the `$ref`s of its input and its output (or, for a subscription, its item).
 * Schemas describe decoded values; `packages/protocol/README.md` describes the frames.
 */
export function contractJsonSchema(): Record<string, unknown> {
  const names = new Map<z.ZodType, string>();
  for (const [name, schema] of Object.entries(wireSchemas())) if (!names.has(schema)) names.set(schema, name);
  const procedures: Record<string, ProcedureEntry> = {};
  const ref = (schema: z.ZodType, path: string, role: 'Input' | 'Output' | 'Item') => ({ $ref: `#/$defs/${nameOf(schema, path, role, names)}` });
  for (const [path, procedure] of flattenContract(agentContract)) {
    const entry: ProcedureEntry = { kind: procedure.kind, since: procedure.since, description: procedure.description };
    if (procedure.input) entry.input = ref(procedure.input, path, 'Input');
    if (procedure.kind === 'subscription') {
      entry.item = ref(procedure.item, path, 'Item');
      entry.tracked = procedure.tracked;
    } else {
      entry.output = ref(procedure.output, path, 'Output');
    }
    procedures[path] = entry;
  }
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of names) registry.add(schema, { id });
  const { schemas: emitted } = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any', uri: (id) => `#/$defs/${id}` }) as {
    schemas: Record<string, Record<string, unknown>>;
  };
  const $defs: Record<string, unknown> = {};
  for (const id of Object.keys(emitted).sort()) {
    const { $schema: _, ...rest } = emitted[id]!;
    $defs[id] = rest;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://lormas.dev/schemas/node-agent-protocol.json',
    title: 'Lormas node agent protocol',
    description: `Protocol ${PROTOCOL_VERSION}. Each procedure's input, output or stream item, as decoded values; see the protocol README for the frames that carry them.`,
    protocolVersion: PROTOCOL_VERSION,
    procedures,
    // Exchanges outside the link: HTTP requests on the server's origin.
    exchanges: {
      join: {
        method: 'POST',
        path: JOIN_PATH,
        since: '1.1',
        description: 'An agent with a join code and no token trades the code, once, for its node token.',
        request: { $ref: '#/$defs/JoinRequest' },
        answer: { $ref: '#/$defs/JoinAnswer' },
        refusal: { $ref: '#/$defs/JoinRefusal' },
      },
    },
    $defs,
  };
}
