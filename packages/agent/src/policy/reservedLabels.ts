import { AgentError, ManagedLabel, RESERVED_LABEL_PREFIX } from '@lormas/protocol';
import { managedLabels } from './assertManaged.js';

export interface ReservedLabelValues {
  nodeId: string;
  serverId?: string;
  fenceAfterMs?: number;
}

/**
 * Every `lormas.*` label a new container gets: the agent's own, each set to its value or to
 * the empty string when it has none, and every other `lormas.*` key the image carries
 * blanked. The engine copies an image's labels into each container made from it, under
 * those the create body sets; so an image built with `LABEL lormas.fence-after-ms=1` would
 * fence a container nobody asked to fence, unless the agent names that key itself. The spec
 * cannot name these keys at all (the protocol refuses them).
 */
export function reservedLabels(values: ReservedLabelValues, imageLabels: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {
    ...Object.fromEntries(Object.keys(imageLabels).filter((key) => key.startsWith(RESERVED_LABEL_PREFIX)).map((key) => [key, ''])),
    [ManagedLabel.serverId]: values.serverId ?? '',
    [ManagedLabel.fenceAfterMs]: values.fenceAfterMs === undefined ? '' : String(values.fenceAfterMs),
  };
  return { ...labels, ...managedLabels(values.nodeId) };
}

/**
 * Throws `INTERNAL` unless the container's `lormas.*` labels are exactly `expected`: the
 * image can change between its inspection and the create (a pull that retags it), and a
 * key the agent did not blank would then come through.
 */
export function assertReservedLabels(actual: Record<string, string>, expected: Record<string, string>): void {
  const reserved = Object.entries(actual).filter(([key]) => key.startsWith(RESERVED_LABEL_PREFIX));
  const wrong = reserved.find(([key, value]) => expected[key] !== value) ?? Object.entries(expected).find(([key]) => actual[key] === undefined);
  if (wrong) throw new AgentError('INTERNAL', `the container came out with label ${wrong[0]}="${actual[wrong[0]] ?? ''}", which the agent did not set; it was removed`);
}
