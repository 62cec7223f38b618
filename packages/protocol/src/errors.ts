import * as z from 'zod';
import type { ErrorCodeName } from './errorCodes.js';
import { AgentErrorData, type ErrorShape, type ValidationIssue } from './schemas/error.js';
import { Limit } from './schemas/limits.js';

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

  static fromShape(shape: ErrorShape): AgentError {
    return new AgentError(shape.code, shape.message, shape);
  }

  /**
   * Reads an error thrown on either side of the link: an `AgentError` itself, an error whose
   * `data.lormas` names a code (a tRPC client's), a zod error (`BAD_INPUT` with its issues),
   * or anything else (`INTERNAL`).
   */
  static from(err: unknown): AgentError {
    if (err instanceof AgentError) return err;
    if (err instanceof z.ZodError) return new AgentError('BAD_INPUT', 'the input does not match the contract', { issues: toValidationIssues(err), cause: err });
    const data = (err as { data?: { lormas?: unknown } } | null)?.data?.lormas;
    const parsed = AgentErrorData.safeParse(data);
    const message = err instanceof Error ? err.message : String(err);
    if (parsed.success) return new AgentError(parsed.data.code, message, { ...parsed.data, cause: err });
    return new AgentError('INTERNAL', message, { cause: err });
  }
}

/** Turns zod's issues into the wire's issue list, within the contract's bounds. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.slice(0, Limit.issues).map((issue) => ({
    code: issue.code.slice(0, Limit.shortChars),
    path: issue.path.slice(0, 64).map((key) => (typeof key === 'number' ? key : String(key).slice(0, Limit.nameChars))),
    message: issue.message.slice(0, Limit.messageChars),
  }));
}
