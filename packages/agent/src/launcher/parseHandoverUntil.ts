import { ConfigError } from '../configError.js';
import { HANDOVER_UNTIL_VARIABLE } from './handover.js';
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
