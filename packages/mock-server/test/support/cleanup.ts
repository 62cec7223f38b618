import { docker } from '@lormas/testkit';

/** Removes every container whose name starts with `prefix`, running or not. */
export async function removeContainers(prefix: string): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `name=^/${prefix}`])).split('\n').filter(Boolean);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids]);
}

/** The engine's state of a container (`running`, `exited`...), or null when it does not exist. */
export async function engineState(name: string): Promise<string | null> {
  try {
    return await docker(['inspect', '-f', '{{.State.Status}}', name]);
  } catch {
    return null;
  }
}
