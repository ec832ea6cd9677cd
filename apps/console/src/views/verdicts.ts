import { h } from '../dom.js';
import { NodeVerdict } from '../types.js';

/** Every host's verdict on a job, host by host: "h2: insufficient memory, 48 of 64 MiB free". */
export function verdictTable(verdicts: NodeVerdict[]): HTMLElement {
  return h(
    'table',
    { class: 'verdicts' },
    h('caption', {}, 'Host by host'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Host'),
        h('th', { scope: 'col' }, 'Fits'),
        h('th', { scope: 'col' }, 'Why not'),
      ),
    ),
    h(
      'tbody',
      {},
      ...verdicts.map((v) =>
        h(
          'tr',
          { class: v.fits ? 'fits' : 'refused' },
          h('td', {}, v.node),
          h('td', {}, v.fits ? 'yes' : 'no'),
          h('td', {}, v.fits ? '' : v.reasons.join('; ')),
        ),
      ),
    ),
  );
}
