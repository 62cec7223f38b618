import type { RawData } from 'ws';
import { AgentError } from '../errors.js';
import { linkTransformer } from '../link/transformer.js';
import { AgentErrorData } from '../schemas/error.js';
import { AgentFrame, PING, PONG, WireError } from '../wire/frames.js';
import { isExactItemFrame } from '../wire/isExactItemFrame.js';

/** What one message from an agent turned out to be, before any library or caller sees it. */
export type AgentMessage =
  | { kind: 'frame'; frame: AgentFrame }
  /** tRPC's text keep-alive: `PING` wants a `PONG`. */
  | { kind: 'keep-alive'; text: typeof PING | typeof PONG }
  /** Not part of the wire format: the socket is closed with `ProtocolViolation`. */
  | { kind: 'violation'; reason: string };

/**
 * Checks one WebSocket message from an agent against the envelope of the wire format. It
 * never throws: a message that breaks the envelope (binary, not JSON, not an object, a wrong
 * shape) is a violation, with a short reason for the log. Frames that are well formed but
 * answer nothing the server waits for (a late result, a `stopped` for a dropped
 * subscription) are frames: the caller drops those quietly.
 */
export function readAgentFrame(data: RawData, isBinary: boolean): AgentMessage {
  if (isBinary) return { kind: 'violation', reason: 'a binary frame' };
  const text = data.toString();
  if (text === PING || text === PONG) return { kind: 'keep-alive', text };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'violation', reason: 'a frame that is not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { kind: 'violation', reason: 'a frame that is not a JSON object' };
  // A stream item in exactly the form the schema gives back (nearly every frame) is taken as it is.
  if (isExactItemFrame(json)) return { kind: 'frame', frame: json };
  const parsed = AgentFrame.safeParse(json);
  if (!parsed.success) return { kind: 'violation', reason: 'a frame of the wrong shape' };
  return { kind: 'frame', frame: parsed.data };
}

/** Decodes a transformer-encoded value; `undefined` in `ok: false` when the encoding is broken. */
export function decodeValue(payload: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof payload !== 'object' || payload === null) return payload === undefined ? { ok: true, value: undefined } : { ok: false };
  try {
    return { ok: true, value: linkTransformer.deserialize(payload as never) };
  } catch {
    return { ok: false };
  }
}

/**
 * Whether a transformer-encoded payload is plain JSON (no superjson `meta`): `decodeValue`
 * then gives its `json` as it is, once no key in it is one superjson guards.
 */
export function isPlainPayload(payload: unknown): payload is { json: unknown } {
  return typeof payload === 'object' && payload !== null && (payload as { meta?: unknown }).meta === undefined;
}

/**
 * The `AgentError` an agent's error frame carries: its code from `data.lormas`, or
 * `BAD_AGENT_OUTPUT` when the error itself breaks the contract.
 */
export function decodeError(payload: unknown, path: string): AgentError {
  const decoded = decodeValue(payload);
  const wire = decoded.ok ? WireError.safeParse(decoded.value) : null;
  if (!wire?.success) return new AgentError('BAD_AGENT_OUTPUT', `the agent answered ${path} with a malformed error`);
  const lormas = AgentErrorData.safeParse(wire.data.data?.lormas);
  if (!lormas.success) return new AgentError('INTERNAL', wire.data.message);
  return new AgentError(lormas.data.code, wire.data.message, lormas.data);
}
