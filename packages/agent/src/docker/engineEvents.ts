import type { HealthStatus } from '@lormas/protocol';
import type { RuntimeEvent } from './ContainerRuntime.js';

/** One message of `GET /events`. */
interface EngineEventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

const PLAIN_ACTIONS = new Set<RuntimeEvent['type']>(['create', 'start', 'die', 'oom', 'stop', 'restart', 'destroy', 'pause', 'unpause']);

/** Attributes the engine adds beside the container's labels in an event's actor. */
const NON_LABEL_ATTRIBUTES = new Set(['name', 'image', 'exitCode', 'signal', 'execDuration']);

function healthOf(action: string): HealthStatus | undefined {
  // The engine reports health as the action `health_status: healthy`.
  const status = action.slice(action.indexOf(':') + 1).trim();
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : undefined;
}

/**
 * Reads one engine event; `undefined` for the ones the agent does not report (exec, attach,
 * rename, other object types). The actor's attributes are the container's labels mixed
 * with a few of the engine's own (`name`, `image`, `exitCode`...), which are taken out.
 */
export function toRuntimeEvent(raw: unknown): RuntimeEvent | undefined {
  const message = (raw ?? {}) as EngineEventMessage;
  const action = message.Action ?? '';
  if (message.Type !== 'container' || !message.Actor?.ID) return undefined;
  const attributes = message.Actor.Attributes ?? {};
  const labels = Object.fromEntries(Object.entries(attributes).filter(([key]) => !NON_LABEL_ATTRIBUTES.has(key)));
  const at = message.timeNano !== undefined ? Math.floor(message.timeNano / 1e6) : (message.time ?? 0) * 1000;
  const base = { containerId: message.Actor.ID, name: attributes['name'] ?? '', labels, at };
  if (action.startsWith('health_status')) {
    const health = healthOf(action);
    return health === undefined ? undefined : { ...base, type: 'health', health };
  }
  if (!PLAIN_ACTIONS.has(action as RuntimeEvent['type'])) return undefined;
  const event: RuntimeEvent = { ...base, type: action as RuntimeEvent['type'] };
  const exitCode = Number.parseInt(attributes['exitCode'] ?? '', 10);
  if (action === 'die' && Number.isFinite(exitCode)) event.exitCode = exitCode;
  return event;
}
