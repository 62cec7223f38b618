import { stubHandlers as protocolStub } from '../packages/protocol/src/testing/index.js';
import type { AgentHandlers } from './workspace.js';

export interface StubOptions {
  nodeName: string;
  /** Milliseconds between heartbeats, on a fixed grid as the real agent schedules them. */
  heartbeatIntervalMs: number;
}

/** Epoch milliseconds with sub-millisecond precision; comparable across processes on one host. */
export const epochMs = () => performance.timeOrigin + performance.now();

/**
 * A protocol-level agent without Docker (the protocol package's stub) whose heartbeats carry
 * sub-millisecond times, so lateness can be measured across processes.
 */
export function stubHandlers({ nodeName, heartbeatIntervalMs }: StubOptions): AgentHandlers {
  return protocolStub({ nodeName, heartbeatIntervalMs, now: epochMs });
}
