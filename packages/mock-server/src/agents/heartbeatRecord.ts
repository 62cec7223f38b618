import type { EngineHealth, Heartbeat } from '@lormas/protocol';

/**
 * A node's last heartbeat as the server keeps it: one object per node, written over in place by
 * each new heartbeat (`assignHeartbeat`) instead of being replaced by it.
 *
 * Why: a heartbeat is kept for one interval (5 s) and then dropped, long enough for the
 * collector to copy it out of the young generation twice and promote it, and short enough to
 * die there soon after. At 10,000 nodes (issue 16, bench figure 5's set-up, `--trace-gc-nvp`),
 * 2.86 MB were promoted per scavenge, about one a second, with scavenges of 9.8 ms on the main
 * thread and 16.6 ms on the helpers; with the heartbeats kept in place, 1.91 MB and 6.5 and
 * 6.5 ms. A heartbeat read from the wire now dies young, where collecting it costs nothing.
 *
 * So a record changes: whoever keeps what it shows past the moment copies it (`heartbeatFigures`).
 * The engine's object is never written over, but replaced when it changes: it is kept as it is.
 */
export type HeartbeatRecord = Heartbeat;

/** A record of `beat`, sharing no object with it (`beat` is the one its listeners were handed). */
export function recordHeartbeat(beat: Heartbeat): HeartbeatRecord {
  return { seq: beat.seq, at: beat.at, nodeName: beat.nodeName, ...heartbeatFigures(beat), engine: engineOf(beat.engine) };
}

/**
 * Writes `beat` over `record` in place. A text equal to the one kept is not taken, and the
 * engine's object is replaced by a copy only when the engine changed: the record keeps nothing
 * of `beat` but texts that changed.
 */
export function assignHeartbeat(record: HeartbeatRecord, beat: Heartbeat): void {
  record.seq = beat.seq;
  record.at = beat.at;
  if (record.nodeName !== beat.nodeName) record.nodeName = beat.nodeName;
  const { cpu, memory, disk, containers, uptime } = record;
  cpu.cores = beat.cpu.cores;
  cpu.usagePercent = beat.cpu.usagePercent;
  cpu.loadAverage1m = beat.cpu.loadAverage1m;
  memory.totalBytes = beat.memory.totalBytes;
  memory.usedBytes = beat.memory.usedBytes;
  if (disk.path !== beat.disk.path) disk.path = beat.disk.path;
  disk.totalBytes = beat.disk.totalBytes;
  disk.usedBytes = beat.disk.usedBytes;
  containers.managed = beat.containers.managed;
  containers.running = beat.containers.running;
  uptime.hostSeconds = beat.uptime.hostSeconds;
  uptime.agentSeconds = beat.uptime.agentSeconds;
  const engine = beat.engine;
  const kept = record.engine;
  if (kept.up !== engine.up || kept.version !== engine.version || kept.error !== engine.error || presentKeys(kept) !== presentKeys(engine)) record.engine = engineOf(engine);
}

/**
 * The figures of a record (or a heartbeat) as they are now, sharing no object `assignHeartbeat`
 * writes over: what a view that outlives the moment (an event in the replay buffer) holds. The
 * engine's object is shared: it is replaced, never written over.
 */
export function heartbeatFigures(record: HeartbeatRecord): Pick<Heartbeat, 'cpu' | 'memory' | 'disk' | 'containers' | 'uptime' | 'engine'> {
  const { cpu, memory, disk, containers, uptime } = record;
  return {
    cpu: { cores: cpu.cores, usagePercent: cpu.usagePercent, loadAverage1m: cpu.loadAverage1m },
    memory: { totalBytes: memory.totalBytes, usedBytes: memory.usedBytes },
    disk: { path: disk.path, totalBytes: disk.totalBytes, usedBytes: disk.usedBytes },
    containers: { managed: containers.managed, running: containers.running },
    uptime: { hostSeconds: uptime.hostSeconds, agentSeconds: uptime.agentSeconds },
    engine: record.engine,
  };
}

/**
 * A copy of the engine's health with its contract's keys only, each there when it is there in
 * `engine`: whatever else an object carries (an extra key, an own `__proto__`) stays out of the
 * record, whichever check let it through.
 */
function engineOf(engine: EngineHealth): EngineHealth {
  const copy: EngineHealth = { up: engine.up };
  if (Object.hasOwn(engine, 'version')) copy.version = engine.version;
  if (Object.hasOwn(engine, 'error')) copy.error = engine.error;
  return copy;
}

/** Which of the engine's optional keys are there: `{ up, version: undefined }` and `{ up }` differ. */
function presentKeys(engine: EngineHealth): number {
  return (Object.hasOwn(engine, 'version') ? 1 : 0) | (Object.hasOwn(engine, 'error') ? 2 : 0);
}
