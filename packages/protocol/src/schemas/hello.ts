import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { BoundedMessage, BoundedName, BoundedShort, EpochMs } from './limits.js';

/**
 * How the agent runs. `kind`: `js` (the self-contained file), `exe` (the single executable) or
 * `source` (from TypeScript, in development); `arch` in Node's words (`x64`, `arm64`). A server
 * chooses the build an upgrade sends by them. Protocol 1.1.
 */
export const AgentBuild = lazySchema(() =>
  z.object({
    kind: z.enum(['js', 'exe', 'source']),
    arch: BoundedShort,
  }),
);

/**
 * Whether the agent takes remote upgrades (`agent.upgrade`): it needs a release key in its
 * own configuration and a launcher to hand over to. `releaseKey` is the key's fingerprint
 * (SHA-256 of its 32 bytes, hex); `reason` says why not when `enabled` is false. Protocol 1.1.
 */
export const AgentUpgrades = lazySchema(() =>
  z.object({
    enabled: z.boolean(),
    releaseKey: BoundedShort.nullable(),
    allowDowngrade: z.boolean(),
    reason: BoundedMessage.optional(),
  }),
);

/**
 * The last handover the node's launcher judged: `succeeded` (the new build came online in
 * time) or `rolled-back` (it did not, and the launcher went back). Protocol 1.1.
 */
export const LastUpgrade = lazySchema(() =>
  z.object({
    version: BoundedShort,
    outcome: z.enum(['succeeded', 'rolled-back']),
    reason: BoundedMessage.optional(),
    /** Epoch milliseconds when the launcher judged it. */
    at: EpochMs,
  }),
);

/** What an agent says about itself; the server asks once per connection. */
export const Hello = lazySchema(() =>
  z.object({
    agentVersion: BoundedShort,
    protocolVersion: BoundedShort,
    nodeName: BoundedName,
    runtime: z.object({ name: z.enum(['node', 'bun']), version: BoundedShort }),
    /** The Docker engine's version, or null while the engine cannot be reached. */
    engineVersion: BoundedShort.nullable(),
    /** Epoch milliseconds when the agent process started. */
    startedAt: EpochMs,
    /** Protocol 1.1. */
    build: builtSchema(AgentBuild).optional(),
    /** Protocol 1.1. */
    upgrades: builtSchema(AgentUpgrades).optional(),
    /** Protocol 1.1; absent before the node's first handover. */
    lastUpgrade: builtSchema(LastUpgrade).optional(),
  }),
);
export type Hello = z.infer<typeof Hello>;
