/** Network file systems whose `device` names a share on another machine, not a host path. */
const NETWORK_TYPES = new Set(['nfs', 'nfs4', 'cifs', 'smb3']);

/**
 * Why a volume's driver options hand the container a path or device of the host, or
 * `undefined` when they do not. Such a volume is never mounted, whoever made it, whatever the
 * allow-list says: `-o type=none -o o=bind -o device=/etc` is `/etc` under another name.
 *
 * The local driver (moby `volume/local/local_unix.go`) mounts a volume that has a `type` or
 * a `device` with `mount(device, volume folder, type, o)`. That reaches the host when:
 * - `o` holds the `bind` or `rbind` flag (the device is a host path, whatever the type);
 * - `device` is an absolute path: a block device (`type=ext4 device=/dev/sda1`) or a folder
 *   (`type=none`); only a CIFS share is spelled `//server/share`;
 * - an option of `o` has an absolute path as its value, as overlay's `lowerdir=/etc`.
 * Only `size` (a quota) and network shares are left. Other drivers are plugins whose options
 * the agent cannot read; an option value that is an absolute path counts as a host path there.
 */
export function volumeHostPath(driver: string, options: Record<string, string>): string | undefined {
  if (driver !== 'local') {
    const [key, value] = Object.entries(options).find(([, value]) => value.startsWith('/')) ?? [];
    return key === undefined ? undefined : `driver ${driver} is given the host path ${value} (${key})`;
  }
  const type = options['type'] ?? '';
  const device = options['device'] ?? '';
  const flags = (options['o'] ?? '').split(',').map((flag) => flag.trim());
  if (flags.includes('bind') || flags.includes('rbind')) return `it binds ${device || 'a host path'} (o=${options['o']})`;
  if (device.startsWith('/') && !(NETWORK_TYPES.has(type) && device.startsWith('//'))) return `it mounts the host's ${device}`;
  const pathOption = flags.find((flag) => flag.slice(flag.indexOf('=') + 1).startsWith('/') && flag.includes('='));
  if (pathOption !== undefined) return `its mount option ${pathOption} names a host path`;
  return undefined;
}
