import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { BoundedId, BoundedMessage, BoundedName, BoundedShort } from './limits.js';

/**
 * The join exchange: before it has a token, an agent started with a join code trades it,
 * once, for its node's token, in one HTTP request to the server's origin (`JOIN_PATH`).
 */
export const JOIN_PATH = '/api/agent/join';

/**
 * A compact JWT (RFC 7519 section 7.2): three base64url parts. The agent checks the token it
 * receives has this shape before it keeps it; the server verifies it at every connect.
 */
export const CompactJwt = z
  .string()
  .max(8_192)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a compact JWT: three base64url parts joined by "."');

export const JoinRequest = lazySchema(() =>
  z.strictObject({
    /** The join code the operator was given: at least 128 bits, base64url. */
    code: z.string().min(22).max(256).regex(/^[A-Za-z0-9_-]+$/, 'base64url'),
    /**
     * Chosen at random by the agent (at least 128 bits, base64url) and kept on disk before the
     * first attempt: a retry after a lost answer sends the same id and gets the same token.
     */
    exchangeId: z.string().min(22).max(64).regex(/^[A-Za-z0-9_-]+$/, 'base64url'),
    /** What the agent will report as its node name. */
    nodeName: BoundedName.optional(),
    agentVersion: BoundedShort.optional(),
    protocolVersion: BoundedShort,
  }),
);
export type JoinRequest = z.infer<typeof JoinRequest>;

/** 200: the node's token. */
export const JoinAnswer = lazySchema(() =>
  z.object({
    nodeId: BoundedId,
    nodeName: BoundedName,
    token: CompactJwt,
  }),
);
export type JoinAnswer = z.infer<typeof JoinAnswer>;

/**
 * Why a join was refused. `JOIN_CODE_UNKNOWN` (403): no such code. `JOIN_CODE_EXPIRED` (403):
 * its window passed. `JOIN_CODE_USED` (403): another exchange used it. `TOO_MANY_ATTEMPTS`
 * (429, with `Retry-After`): this address failed too often; retry later. `BAD_REQUEST`
 * (400): the body is not a `JoinRequest`. Only 429 and 5xx are worth retrying.
 */
export const JoinRefusalCode = z.enum(['JOIN_CODE_UNKNOWN', 'JOIN_CODE_EXPIRED', 'JOIN_CODE_USED', 'TOO_MANY_ATTEMPTS', 'BAD_REQUEST']);
export type JoinRefusalCode = z.infer<typeof JoinRefusalCode>;

export const JoinRefusal = lazySchema(() => z.object({ error: z.object({ code: JoinRefusalCode, message: BoundedMessage }) }));
export type JoinRefusal = z.infer<typeof JoinRefusal>;
