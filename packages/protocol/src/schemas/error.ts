import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { errorCodeNames } from '../errorCodes.js';
import { BoundedMessage, BoundedShort, Limit } from './limits.js';

/** One problem found while validating an input, in zod's own terms. */
export const ValidationIssue = lazySchema(() =>
  z.object({
    code: BoundedShort,
    path: z.array(z.union([z.string().max(Limit.nameChars), z.number()])).max(64),
    message: BoundedMessage,
  }),
);
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/**
 * The machine-readable part of every error an agent returns. It travels in the tRPC
 * error's `data.lormas`; the message beside it is for people.
 */
export const AgentErrorData = lazySchema(() =>
  z.object({
    code: z.enum(errorCodeNames),
    /** For `POLICY_DENIED`: the rule that refused the request, e.g. `privileged`. */
    rule: BoundedShort.optional(),
    /** For `BAD_INPUT`: every issue zod found. */
    issues: z.array(builtSchema(ValidationIssue)).max(Limit.issues).optional(),
    /** For `ENGINE_ERROR`: the Docker engine's HTTP status. */
    engineStatus: z.number().int().min(0).max(999).optional(),
  }),
);
export type AgentErrorData = z.infer<typeof AgentErrorData>;

/** An error as it appears inside other messages, e.g. a failed operation's progress event. */
export const ErrorShape = lazySchema(() => builtSchema(AgentErrorData).extend({ message: BoundedMessage }));
export type ErrorShape = z.infer<typeof ErrorShape>;
