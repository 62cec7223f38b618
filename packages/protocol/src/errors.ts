import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ErrorCode, type ErrorCodeName } from './errorCodes.js';
import { AgentErrorData, type ErrorShape, type ValidationIssue } from './schemas/error.js';

export interface AgentErrorOptions {
  rule?: string;
  issues?: ValidationIssue[];
  engineStatus?: number;
  cause?: unknown;
}

/**
 * The one error class of the agent link. `code` is stable and machine-readable; the
 * message is for people. On the server side, `AgentError.from(err)` turns whatever a
 * call rejected with back into one of these.
 */
export class AgentError extends Error {
  override name = 'AgentError';
  readonly code: ErrorCodeName;
  readonly rule: string | undefined;
  readonly issues: ValidationIssue[] | undefined;
  readonly engineStatus: number | undefined;

  constructor(code: ErrorCodeName, message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rule = options.rule;
    this.issues = options.issues;
    this.engineStatus = options.engineStatus;
  }

  /** The wire form, for `data.lormas` and for failed operation events. */
  toShape(): ErrorShape {
    const shape: ErrorShape = { code: this.code, message: this.message };
    if (this.rule !== undefined) shape.rule = this.rule;
    if (this.issues !== undefined) shape.issues = this.issues;
    if (this.engineStatus !== undefined) shape.engineStatus = this.engineStatus;
    return shape;
  }

  /** A `TRPCError` that carries this error to the caller. */
  toTRPCError(): TRPCError {
    return new TRPCError({ code: ErrorCode[this.code], message: this.message, cause: this });
  }

  static fromShape(shape: ErrorShape): AgentError {
    return new AgentError(shape.code, shape.message, shape);
  }

  /**
   * Reads an error thrown on either side of the link: an `AgentError` itself, a tRPC
   * client error whose `data.lormas` names a code, or anything else (`INTERNAL`).
   */
  static from(err: unknown): AgentError {
    if (err instanceof AgentError) return err;
    const data = (err as { data?: { lormas?: unknown } } | null)?.data?.lormas;
    const parsed = AgentErrorData.safeParse(data);
    const message = err instanceof Error ? err.message : String(err);
    if (parsed.success) return new AgentError(parsed.data.code, message, { ...parsed.data, cause: err });
    return new AgentError('INTERNAL', message, { cause: err });
  }
}

/** Turns zod's issues into the wire's issue list. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    code: issue.code,
    path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
    message: issue.message,
  }));
}

/**
 * The `data.lormas` of a tRPC error leaving the agent: the agent's own code, or
 * `BAD_INPUT` with zod's issues for a rejected input, or `INTERNAL`.
 */
export function agentErrorDataOf(error: TRPCError): z.infer<typeof AgentErrorData> {
  const cause = error.cause;
  if (cause instanceof AgentError) return AgentError.prototype.toShape.call(cause);
  if (cause instanceof z.ZodError) return { code: 'BAD_INPUT', issues: toValidationIssues(cause) };
  if (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') return { code: 'BAD_INPUT' };
  return { code: 'INTERNAL' };
}
