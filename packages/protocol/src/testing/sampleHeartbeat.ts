import type { Heartbeat } from '../schemas/heartbeat.js';

/** A heartbeat of the real agent's shape with plausible figures, for tests; `fields` replace any of them. */
export function sampleHeartbeat(fields: Partial<Heartbeat> & Pick<Heartbeat, 'seq'>): Heartbeat {
  return {
    at: Date.now(),
    nodeName: 'node',
    cpu: { cores: 2, usagePercent: 3.5, loadAverage1m: 0.4 },
    memory: { totalBytes: 8 * 2 ** 30, usedBytes: 2 * 2 ** 30 },
    disk: { path: '/', totalBytes: 100 * 2 ** 30, usedBytes: 20 * 2 ** 30 },
    containers: { managed: 0, running: 0 },
    uptime: { hostSeconds: 1000, agentSeconds: 1 },
    engine: { up: true, version: '20.10.0' },
    ...fields,
  };
}
