import { AgentFrame, CloseCode } from '@lormas/protocol';
import type { AnswerPart } from './contractAnswers.js';

/** The id a frame carries. */
export type FrameId = number | string | null;

/** One message the fake agent sends. */
export interface AgentMessage {
  bytes: Buffer;
  binary: boolean;
}

/** What the server must make of a message by the wire format alone. */
export type EnvelopeVerdict =
  | { breaks: false; keepAlive: boolean }
  /** The server must close the socket with one of `closeCodes`. */
  | { breaks: true; closeCodes: number[]; reason: string };

/** WebSocket's own close codes for a text frame that is not UTF-8 and a frame over the receiver's limit (RFC 6455, 7.4.1). */
const INVALID_UTF8 = 1007;
const MESSAGE_TOO_BIG = 1009;

// `ignoreBOM`: a byte order mark stays in the text, as it does for the server (`Buffer#toString`).
// JSON text must not begin with one (RFC 8259, 8.1), so such a frame is not JSON; a decoder
// that dropped it would judge the frame after it valid (`test/envelopeVerdict.test.ts`).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The verdict of the wire format on one message, worked out from the protocol's
 * documentation (the envelope schema `AgentFrame`, WebSocket's rules) rather than from the
 * server's code: over the size limit, not UTF-8, binary, not JSON, not an object, or of
 * the wrong shape breaks the envelope; tRPC's text `PING` and `PONG` are keep-alives.
 */
export function envelopeVerdict({ bytes, binary }: AgentMessage, maxPayloadBytes: number): EnvelopeVerdict {
  if (bytes.length > maxPayloadBytes) return { breaks: true, closeCodes: [MESSAGE_TOO_BIG], reason: `a frame of ${bytes.length} bytes` };
  if (binary) return { breaks: true, closeCodes: [CloseCode.ProtocolViolation], reason: 'a binary frame' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { breaks: true, closeCodes: [INVALID_UTF8], reason: 'a text frame that is not UTF-8' };
  }
  if (text === 'PING' || text === 'PONG') return { breaks: false, keepAlive: true };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { breaks: true, closeCodes: [CloseCode.ProtocolViolation], reason: 'not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { breaks: true, closeCodes: [CloseCode.ProtocolViolation], reason: 'not a JSON object' };
  if (!AgentFrame.safeParse(json).success) return { breaks: true, closeCodes: [CloseCode.ProtocolViolation], reason: 'not an agent frame' };
  return { breaks: false, keepAlive: false };
}

/** The message of one part of an answer, addressed to `id`. The value members are spliced in as the bytes they are. */
export function agentMessage(id: FrameId, part: Exclude<AnswerPart, { kind: 'close' }>): AgentMessage {
  if (part.kind === 'raw') return { bytes: part.bytes, binary: part.binary };
  const head = `{"id":${JSON.stringify(id)},`;
  const text = (json: string): AgentMessage => ({ bytes: Buffer.from(json), binary: false });
  const member = (name: string, value: Buffer | undefined) => (value === undefined ? [] : [Buffer.from(`,"${name}":`), value]);
  switch (part.kind) {
    case 'started':
    case 'stopped':
      return text(`${head}"result":{"type":"${part.kind}"}}`);
    case 'reconnect':
      return text(`${head}"method":"reconnect"}`);
    case 'error':
      return { bytes: Buffer.concat([Buffer.from(`${head}"error":`), part.error.bytes ?? Buffer.from('null'), Buffer.from('}')]), binary: false };
    case 'result':
    case 'item': {
      const eventId = part.kind === 'item' && part.eventId !== undefined ? `,"id":${JSON.stringify(part.eventId)}` : '';
      return { bytes: Buffer.concat([Buffer.from(`${head}"result":{"type":"data"${eventId}`), ...member('data', part.data.bytes), Buffer.from('}}')]), binary: false };
    }
  }
}
