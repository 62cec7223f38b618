import { type Child, h } from '../h.js';
import { notice, pending } from './notice.js';

/**
 * A create form in a panel: its fields, a submit button that shows a pending state, and a
 * notice for the server's refusal. `run` does the call; the form resets when it succeeds.
 * The pages' create and register forms are all this shape.
 */
export function formPanel(options: { label: string; submit: string; busy: string; fields: Child[]; after?: Child[]; run: (note: ReturnType<typeof notice>) => Promise<void> }) {
  const note = notice();
  const submit = h('button', { class: 'btn btn-primary', attrs: { type: 'submit' }, text: options.submit });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'panel form-grid',
      attrs: { 'aria-label': options.label },
      on: {
        submit: (event) => {
          event.preventDefault();
          void pending(submit, options.busy, note, async () => {
            await options.run(note);
            form.reset();
          });
        },
      },
    },
    ...options.fields,
    h('div', { class: 'actions' }, submit),
    note.el,
    ...(options.after ?? []),
  );
  return { form, note };
}

/** A drawer that opens a form from a primary button. */
export function drawer(label: string, ...content: Child[]): HTMLDetailsElement {
  return h('details', { class: 'drawer' }, h('summary', { class: 'btn btn-primary', text: label }), ...content);
}
