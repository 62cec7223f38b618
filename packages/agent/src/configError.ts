/**
 * The exit status of a refusal that a restart cannot mend: a bad setting, or no build that
 * verifies against the configured release key. The systemd unit's `RestartPreventExitStatus=2`
 * keeps it from restarting in a loop.
 */
export const EXIT_CONFIG = 2;

/** A bad configuration value; `variable` names it. The process exits `EXIT_CONFIG` with one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}
