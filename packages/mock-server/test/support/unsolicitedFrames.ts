import { AgentFrame } from '@lormas/protocol';
import { arbitraryFromJsonSchema, type JsonSchema, mutatedJson } from '@lormas/testkit';
import fc from 'fast-check';
import { z } from 'zod';
import { FAKE_AGENT_ERROR_MARKER, type AddressedPart } from './contractAnswers.js';
import type { EncodingOptions } from './encodedValue.js';

export interface UnsolicitedOptions extends EncodingOptions {
  /** The server's frame limit: now and then a frame one byte over it. */
  maxPayloadBytes: number;
}

/** Ids no request of the server carries: its ids count up from 1 on each socket. */
const unknownId = fc.oneof(fc.integer({ min: 2 ** 40, max: Number.MAX_SAFE_INTEGER }), fc.string({ minLength: 1, maxLength: 12 }), fc.constant(null));

const raw = (label: string, bytes: Buffer | string, binary = false): AddressedPart => ({
  to: 'unknown',
  part: { kind: 'raw', bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), binary, label },
});

/**
 * Frames no request asked for, as a buggy or hostile agent sends them: the ones the wire
 * format allows without a live request (late results, `stopped` and errors for ids the
 * server never used or already settled, `PING`/`PONG`, tRPC's `reconnect`), envelopes
 * generated from the frame schema and then mutated, binary frames, text that is not JSON or
 * not UTF-8, JSON that is no object, batches (which only the server may send), and a frame
 * over the size limit.
 */
export function unsolicitedFrames(options: UnsolicitedOptions): fc.Arbitrary<AddressedPart> {
  const envelope = arbitraryFromJsonSchema(z.toJSONSchema(AgentFrame, { io: 'input', unrepresentable: 'any' }) as JsonSchema, { maxItems: 2 });
  const legalEnvelope = fc.tuple(envelope, unknownId).map(([frame, id]) => ({ ...(frame as object), id }));
  const lateError = { json: { code: -32603, message: `${FAKE_AGENT_ERROR_MARKER}: late`, data: { lormas: { code: 'NOT_FOUND' } } } };
  return fc.oneof(
    // Legal without a live request: dropped and counted, never a reason to close.
    {
      weight: 30,
      arbitrary: fc.record({
        to: fc.constantFrom('unknown' as const, 'reused' as const, 'null' as const, 'string' as const),
        part: fc.constantFrom(
          { kind: 'started' as const },
          { kind: 'stopped' as const },
          { kind: 'reconnect' as const },
          { kind: 'error' as const, error: { bytes: Buffer.from(JSON.stringify(lateError)), label: 'late error' } },
          { kind: 'result' as const, data: { bytes: Buffer.from('{"json":{"containerId":"late","name":"late","state":"running"}}'), label: 'late result' } },
        ),
      }),
    },
    { weight: 10, arbitrary: fc.constantFrom(raw('PING', 'PING'), raw('PONG', 'PONG')) },
    { weight: 15, arbitrary: legalEnvelope.map((frame) => raw('an envelope from the frame schema', JSON.stringify(frame))) },
    // Envelopes broken by testkit's mutations: most break the shape, some only add what the schema lets through.
    { weight: 25, arbitrary: mutatedJson(legalEnvelope, options).map(({ mutation, bytes }) => raw(`a mutated envelope (${mutation})`, bytes)) },
    { weight: 2, arbitrary: legalEnvelope.map((frame) => raw('an envelope after a byte order mark', `\uFEFF${JSON.stringify(frame)}`)) },
    { weight: 5, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => raw('random binary', Buffer.from(bytes), true)) },
    { weight: 5, arbitrary: legalEnvelope.map((frame) => raw('an envelope as a binary frame', JSON.stringify(frame), true)) },
    { weight: 5, arbitrary: fc.string({ maxLength: 40 }).filter((text) => text !== 'PING' && text !== 'PONG').map((text) => raw('text that is probably not JSON', text)) },
    { weight: 5, arbitrary: fc.array(legalEnvelope, { minLength: 1, maxLength: 3 }).map((frames) => raw('a batch of frames', JSON.stringify(frames))) },
    { weight: 5, arbitrary: fc.constantFrom('null', '42', '"PING"', 'true', '[]', '', ' ').map((text) => raw(`JSON that is no object: ${JSON.stringify(text)}`, text)) },
    { weight: 5, arbitrary: fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]).map((bytes) => raw('text that is not UTF-8', Buffer.concat([Buffer.from('{"id":1,"result":"'), Buffer.from(bytes), Buffer.from('"}')]))) },
    { weight: 1, arbitrary: fc.constant(null).map(() => raw('a frame over the size limit', Buffer.alloc(options.maxPayloadBytes + 1, 0x20))) },
  );
}
