/**
 * What the Docker engine makes of one `HostConfig.SecurityOpt` entry. This follows the
 * engine's own parser (moby `daemon/daemon_unix.go`, `parseSecurityOpt`, the same in 20.10
 * and later releases) letter for letter, because the guard rail must judge an option the way
 * the engine will apply it, not the way it reads to a person:
 *
 * - `no-new-privileges` alone sets it; `disable` alone is `label=disable`;
 * - otherwise the entry is cut at its first `=` if it has one, else at its first `:` (the
 *   deprecated separator, still read), and nothing is trimmed: `seccomp= null` is the
 *   seccomp profile ` null`, which the engine unmarshals as JSON `null`, that is no filter;
 * - the key must be `label`, `apparmor`, `seccomp` or `no-new-privileges`, the last with a
 *   value Go's `strconv.ParseBool` reads; anything else is refused by the engine.
 */
export type SecurityOpt =
  | { key: 'no-new-privileges'; value: boolean }
  | { key: 'label' | 'apparmor' | 'seccomp'; value: string }
  | { key: 'invalid' };

/** Go's `strconv.ParseBool`: exactly these spellings, nothing else. */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The engine's reading of `option`. */
export function parseSecurityOpt(option: string): SecurityOpt {
  if (option === 'no-new-privileges') return { key: 'no-new-privileges', value: true };
  if (option === 'disable') return { key: 'label', value: 'disable' };
  const separator = option.includes('=') ? '=' : option.includes(':') ? ':' : null;
  if (separator === null) return { key: 'invalid' };
  const at = option.indexOf(separator);
  const key = option.slice(0, at);
  const value = option.slice(at + 1);
  switch (key) {
    case 'label':
    case 'apparmor':
    case 'seccomp':
      return { key, value };
    case 'no-new-privileges':
      if (GO_TRUE.has(value)) return { key, value: true };
      if (GO_FALSE.has(value)) return { key, value: false };
      return { key: 'invalid' };
    default:
      return { key: 'invalid' };
  }
}

/**
 * Why an operator's allowed spelling cannot be what was meant, or `undefined`: one the engine
 * refuses, a seccomp profile that is neither `unconfined`, `builtin` nor JSON (the API takes
 * the profile's text; a file name is the CLI's business), or an AppArmor profile name with
 * a comma or a space, which is two options written as one.
 */
export function securityOptMistake(option: string): string | undefined {
  const parsed = parseSecurityOpt(option);
  if (parsed.key === 'invalid') return 'is not a security option the engine accepts (label=, apparmor=, seccomp= or no-new-privileges=)';
  if (parsed.key === 'seccomp' && parsed.value !== 'unconfined' && parsed.value !== 'builtin') {
    try {
      JSON.parse(parsed.value);
    } catch {
      return 'names a seccomp profile that is not JSON; the engine takes the profile itself';
    }
  }
  if (parsed.key === 'apparmor' && /[\s,]/.test(parsed.value)) return 'names an AppArmor profile with a comma or a space; list each option on its own';
  return undefined;
}

/**
 * Whether `option` passes without the operator's say: it can only keep or tighten the
 * engine's default confinement.
 *
 * - `no-new-privileges` in a true form. Not a false form: the daemon may be configured with
 *   `no-new-privileges` on for every container, and `=false` switches it off again.
 * - `apparmor=docker-default`, the profile the engine applies anyway. Any other profile name
 *   may be one loaded in complain mode or flagged unconfined, which confines nothing.
 *
 * Every `label=` is left to the operator: `label=disable` and an unconfined type such as
 * `spc_t` lift SELinux separation, and a chosen `level:` can reach the categories of every
 * other container. Every `seccomp=` is too: the value is a whole profile, and `unconfined`,
 * JSON `null` or a permissive profile each leave the container without a filter.
 */
export function isDefaultSecurityOpt(option: string): boolean {
  const parsed = parseSecurityOpt(option);
  if (parsed.key === 'no-new-privileges') return parsed.value;
  return parsed.key === 'apparmor' && parsed.value === 'docker-default';
}

/**
 * What `ALLOW_UNCONFINED_SECURITY_OPT=true` allowed before the allow-list, as the exact
 * spellings the engine reads as those options: a node configured with it keeps starting the
 * containers it ran, and nothing more than the switch's own words said.
 */
export const LEGACY_UNCONFINED_SECURITY_OPTS: readonly string[] = [
  'seccomp=unconfined',
  'seccomp:unconfined',
  'apparmor=unconfined',
  'apparmor:unconfined',
  'label=disable',
  'label:disable',
  'disable',
];
