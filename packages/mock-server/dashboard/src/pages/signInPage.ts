import type { SessionView } from '../../../src/http/apiTypes.js';
import { api } from '../api.js';
import { h } from '../h.js';
import { field } from '../parts/fields.js';
import { notice, pending } from '../parts/notice.js';

/**
 * The sign-in page: the admin token in a password field, sent once in a POST body (never
 * in a URL); the server answers with an HttpOnly session cookie and the CSRF token.
 */
export function signInPage(onSignedIn: (session: SessionView) => void): HTMLElement {
  const token = h('input', { attrs: { type: 'password', name: 'token', required: true, autocomplete: 'current-password', spellcheck: 'false' } });
  const note = notice();
  const submit = h('button', { class: 'btn btn-primary btn-wide', attrs: { type: 'submit' }, text: 'Sign in' });
  const form = h(
    'form',
    {
      class: 'signin-form',
      attrs: { 'aria-label': 'Sign in', method: 'post' },
      on: {
        submit: (event) => {
          event.preventDefault();
          void pending(submit, 'Signing in…', note, async () => {
            const session = await api('POST /api/session', { body: { token: token.value } });
            token.value = '';
            onSignedIn(session);
          });
        },
      },
    },
    field('Admin token', token, 'The ADMIN_TOKEN the server was started with; pnpm dev prints it.'),
    submit,
    note.el,
  );
  return h(
    'main',
    { class: 'signin', attrs: { id: 'main' } },
    h('div', { class: 'signin-card' }, h('p', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }), 'Lormas'), h('h1', { text: 'Sign in to the fleet' }), form),
  );
}
