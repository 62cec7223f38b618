import { docker } from '@lormas/testkit';

/**
 * Removes every container whose name starts with `prefix`, running or not, and with
 * `volumes` the volumes so named too, on the engine at `socketPath` (the local one by
 * default). Best effort: an engine already gone has nothing left to clean.
 */
export async function removeContainers(prefix: string, options: { socketPath?: string; volumes?: boolean } = {}): Promise<void> {
  const { socketPath, volumes } = options;
  const listed = async (args: string[]) => (await docker(args, socketPath).catch(() => '')).split('\n').filter(Boolean);
  const ids = await listed(['ps', '-aq', '--filter', `name=^/${prefix}`]);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids], socketPath).catch(() => '');
  if (!volumes) return;
  const names = await listed(['volume', 'ls', '-q', '--filter', `name=${prefix}`]);
  if (names.length > 0) await docker(['volume', 'rm', '-f', ...names], socketPath).catch(() => '');
}

/** The engine's state of a container (`running`, `exited`...), or null when it does not exist. */
export async function engineState(name: string, socketPath?: string): Promise<string | null> {
  return docker(['inspect', '-f', '{{.State.Status}}', name], socketPath).catch(() => null);
}
