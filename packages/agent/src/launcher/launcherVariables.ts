import { ConfigError } from '../configError.js';
import { HANDOVER_UNTIL_VARIABLE, LAUNCHER_FD_VARIABLE } from './handover.js';
import { MAX_TIMER_MS } from './LaunchState.js';

/**
 * `LORMAS_HANDOVER_UNTIL` as the launcher writes it: epoch milliseconds, at most a trial's
 * longest deadline (`MAX_TIMER_MS`, about 24.8 days) after `nowMs`; `null` when it is unset or
 * empty (no handover). Until then the agent does not fence, so a garbage or far-future value
 * would switch fencing off for as long: it is refused (`ConfigError`, exit 2), not guessed at.
 * A time in the past is kept: the handover is over.
 */
export function parseHandoverUntil(text: string | undefined, nowMs: number): number | null {
  if (text === undefined || text === '') return null;
  const shown = JSON.stringify(text.slice(0, 32));
  if (!/^\d{1,16}$/.test(text)) throw new ConfigError(HANDOVER_UNTIL_VARIABLE, `must be epoch milliseconds, as the launcher sets it (got ${shown})`);
  const until = Number(text);
  if (until > nowMs + MAX_TIMER_MS) {
    throw new ConfigError(HANDOVER_UNTIL_VARIABLE, `is ${until - nowMs} ms ahead; a handover lasts at most ${MAX_TIMER_MS} ms (got ${shown})`);
  }
  return until;
}

/**
 * `LORMAS_LAUNCHER_FD` as the launcher writes it: the number of the pipe on which the agent
 * says `ready`; `null` when it is unset or empty (no launcher). Descriptors 0 to 2 are the
 * agent's own input and output, so a value naming one of them, or anything that is not a
 * whole number, is refused (`ConfigError`, exit 2) rather than written to.
 */
export function parseLauncherFd(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 3) {
    throw new ConfigError(LAUNCHER_FD_VARIABLE, `must be the number of the launcher's pipe, 3 or more, as the launcher sets it (got ${JSON.stringify(text.slice(0, 32))})`);
  }
  return Number(text);
}
