import { z } from 'zod';

/** What an agent says about itself; the server asks once per connection. */
export const Hello = z.object({
  agentVersion: z.string(),
  protocolVersion: z.string(),
  nodeName: z.string(),
  runtime: z.object({ name: z.enum(['node', 'bun']), version: z.string() }),
  /** The Docker engine's version, or null while the engine cannot be reached. */
  engineVersion: z.string().nullable(),
  /** Epoch milliseconds when the agent process started. */
  startedAt: z.number(),
});
export type Hello = z.infer<typeof Hello>;
