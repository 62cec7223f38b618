import { AgentError } from '@lormas/protocol';
import { ServerError } from '../errors.js';
import { agentErrorStatus } from './agentErrorStatus.js';

/** The JSON body of every error the API answers with. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    issues?: { code: string; path: (string | number)[]; message: string }[];
    /** For an agent's `POLICY_DENIED`: the guard rail that refused. */
    rule?: string;
    /** For an agent's `ENGINE_ERROR`: the engine's HTTP status. */
    engineStatus?: number;
  };
}

/**
 * Turns anything thrown by a route into a status, body and headers. A `ServerError` keeps its code;
 * an agent's error keeps the agent's code; anything else is an `INTERNAL` 500 whose message
 * says nothing of the cause (it is logged instead).
 */
export function errorReply(error: unknown): { status: number; body: ErrorBody; headers: Record<string, string>; internal: boolean } {
  if (error instanceof ServerError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.issues) body.error.issues = error.issues;
    return { status: error.status, body, headers: error.headers, internal: false };
  }
  if (error instanceof AgentError && error.code !== 'INTERNAL') {
    return { status: agentErrorStatus(error.code), body: { error: error.toShape() }, headers: {}, internal: false };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal server error' } }, headers: {}, internal: true };
}
