import { ApiError } from '../api.js';
import { h, setText } from '../h.js';

/** A message line under a form or in a row: errors are announced (`role=alert`), successes politely. */
export function notice(): { el: HTMLElement; error(error: unknown): void; ok(text: string): void; clear(): void } {
  const el = h('p', { class: 'notice', attrs: { 'aria-live': 'polite' } });
  el.hidden = true;
  return {
    el,
    error(error) {
      el.hidden = false;
      el.dataset['kind'] = 'error';
      el.setAttribute('role', 'alert');
      setText(el, error instanceof ApiError ? error.describe() : error instanceof Error ? error.message : String(error));
    },
    ok(text) {
      el.hidden = false;
      el.dataset['kind'] = 'ok';
      el.removeAttribute('role');
      setText(el, text);
    },
    clear() {
      el.hidden = true;
      el.textContent = '';
    },
  };
}

/**
 * Runs a button's action with a pending state: the button is disabled and says what it is
 * doing until the server answers; an error lands in `note`.
 */
export async function pending(button: HTMLButtonElement, busyLabel: string, note: ReturnType<typeof notice> | null, action: () => Promise<unknown>): Promise<boolean> {
  const label = button.textContent ?? '';
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyLabel;
  note?.clear();
  try {
    await action();
    return true;
  } catch (error) {
    note?.error(error);
    return false;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}
