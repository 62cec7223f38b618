import * as z from 'zod';
import { BoundedName, BoundedShort, EpochMs } from './limits.js';

/** What an agent says about itself; the server asks once per connection. */
export const Hello = z.object({
  agentVersion: BoundedShort,
  protocolVersion: BoundedShort,
  nodeName: BoundedName,
  runtime: z.object({ name: z.enum(['node', 'bun']), version: BoundedShort }),
  /** The Docker engine's version, or null while the engine cannot be reached. */
  engineVersion: BoundedShort.nullable(),
  /** Epoch milliseconds when the agent process started. */
  startedAt: EpochMs,
});
export type Hello = z.infer<typeof Hello>;
