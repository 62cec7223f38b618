import type { MigrationView } from '../../../src/http/apiTypes.js';
import { clock } from '../format.js';
import { h } from '../h.js';

/** A migration's steps in order, each with its time, status and detail. */
export function stepList(migration: MigrationView, now: number, nodeName: (id: string) => string): HTMLOListElement {
  return h(
    'ol',
    { class: 'steps', attrs: { 'aria-label': `Steps of the migration of ${migration.containerName}` } },
    ...migration.steps.map((step) =>
      h(
        'li',
        { class: 'step', attrs: { 'data-status': step.status } },
        h('time', { attrs: { datetime: step.at }, text: clock(step.at, now) }),
        h('span', { class: 'step-name', text: step.name }),
        h('span', { class: 'step-status', text: step.status }),
        step.detail ? h('span', { class: 'step-detail', text: step.name === 'choose-target' ? nodeName(step.detail) : step.detail }) : null,
      ),
    ),
  );
}
