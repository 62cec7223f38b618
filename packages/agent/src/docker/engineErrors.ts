import { AgentError } from '@lormas/protocol';

/** Socket error codes that mean "no engine answers there", as opposed to "the engine said no". */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ETIMEDOUT', 'EACCES']);

/** The shape docker-modem gives its errors: an HTTP status and the engine's parsed body. */
interface ModemError {
  statusCode?: unknown;
  json?: unknown;
  code?: unknown;
  message?: unknown;
}

/**
 * The engine's own words. docker-modem puts the parsed body in `json` for plain calls; for
 * streamed calls (archives, logs) it has no `json` and only its own decorated message,
 * `(HTTP code 404) no such container - No such container: x `, from which the prefix is cut.
 */
function engineMessage(err: ModemError): string {
  const json = err.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message;
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  const message = typeof err.message === 'string' ? err.message : String(err);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/**
 * Turns whatever dockerode rejected with into the agent's one error type. This is the only
 * place that decides what an engine failure means to a caller:
 * - 404: the container or image does not exist (`NOT_FOUND`);
 * - 409: a name is taken or the container's state forbids the call (`CONFLICT`);
 * - the socket cannot be reached at all: `ENGINE_UNAVAILABLE`, which callers treat as
 *   "try again later" (the engine may be restarting) rather than as a refusal;
 * - any other HTTP status: `ENGINE_ERROR` with `engineStatus`.
 * The engine's message is kept verbatim, so an operator reads what Docker said.
 */
export function toAgentError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const modem = (err ?? {}) as ModemError;
  const status = typeof modem.statusCode === 'number' ? modem.statusCode : undefined;
  if (status === undefined) {
    const code = typeof modem.code === 'string' ? modem.code : undefined;
    if (code !== undefined && UNREACHABLE_CODES.has(code)) {
      return new AgentError('ENGINE_UNAVAILABLE', `the Docker engine cannot be reached: ${engineMessage(modem)}`, { cause: err });
    }
    return new AgentError('ENGINE_ERROR', engineMessage(modem), { cause: err });
  }
  const message = engineMessage(modem);
  if (status === 404) return new AgentError('NOT_FOUND', message, { cause: err });
  if (status === 409) return new AgentError('CONFLICT', message, { cause: err });
  return new AgentError('ENGINE_ERROR', message, { engineStatus: status, cause: err });
}

/** Runs an engine call, rethrowing its failure as an `AgentError`. */
export async function engineCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toAgentError(err);
  }
}
