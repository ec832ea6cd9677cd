import { h, show } from '../dom.js';
import { age } from '../format.js';
import { View } from '../context.js';
import { Job, JOB_STATUSES } from '../types.js';

const PAGE_SIZE = 50;
const SORTS = { age: 'Newest first', name: 'Name', status: 'Status' } as const;
type Sort = keyof typeof SORTS;

function compare(sort: Sort): (a: Job, b: Job) => number {
  switch (sort) {
    case 'name':
      return (a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id);
    case 'status':
      return (a, b) => a.status.localeCompare(b.status) || b.createdAt.localeCompare(a.createdAt);
    case 'age':
      return (a, b) => b.createdAt.localeCompare(a.createdAt);
  }
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status status-${status}` }, status);
}

/**
 * The jobs, live: filtered by status, searched by name, sorted and paged, all kept in the URL (#/jobs?status=…).
 * Only one page of rows is drawn, so 10,000 jobs cost what 50 do.
 */
export const jobsView: View = (root, app, params) => {
  const state = {
    status: params.get('status') ?? '',
    q: params.get('q') ?? '',
    sort: (params.get('sort') ?? 'age') as Sort,
    page: Math.max(1, Number(params.get('page') ?? '1') || 1),
  };
  if (!(state.sort in SORTS)) {
    state.sort = 'age';
  }
  const remember = () => {
    const query = new URLSearchParams();
    if (state.status) {
      query.set('status', state.status);
    }
    if (state.q) {
      query.set('q', state.q);
    }
    if (state.sort !== 'age') {
      query.set('sort', state.sort);
    }
    if (state.page > 1) {
      query.set('page', String(state.page));
    }
    const text = query.toString();
    history.replaceState(null, '', `#/jobs${text ? `?${text}` : ''}`);
  };
  const status = h(
    'select',
    { id: 'filter-status', onchange: () => ((state.status = status.value), (state.page = 1), remember(), draw()) },
    h('option', { value: '' }, 'All'),
    ...JOB_STATUSES.map((s) => h('option', { value: s }, s)),
  );
  status.value = state.status;
  const search = h('input', {
    id: 'filter-name',
    type: 'search',
    value: state.q,
    placeholder: 'name or id',
    oninput: () => ((state.q = search.value.trim()), (state.page = 1), remember(), draw()),
  });
  const sort = h(
    'select',
    { id: 'sort', onchange: () => ((state.sort = sort.value as Sort), remember(), draw()) },
    ...Object.entries(SORTS).map(([value, label]) => h('option', { value }, label)),
  );
  sort.value = state.sort;
  const body = h('tbody');
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const previous = h(
    'button',
    { type: 'button', onclick: () => ((state.page -= 1), remember(), draw()) },
    'Previous page',
  );
  const next = h('button', { type: 'button', onclick: () => ((state.page += 1), remember(), draw()) }, 'Next page');

  const draw = () => {
    if (!app.jobs.loaded) {
      show(body, h('tr', {}, h('td', { colspan: 6 }, 'Loading jobs…')));
      return;
    }
    const needle = state.q.toLowerCase();
    const matching = [...app.jobs.jobs.values()]
      .filter((job) => !state.status || job.status === state.status)
      .filter((job) => !needle || (job.name ?? '').toLowerCase().includes(needle) || job.id.startsWith(needle))
      .sort(compare(state.sort));
    const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages);
    const rows = matching.slice((state.page - 1) * PAGE_SIZE, state.page * PAGE_SIZE);
    show(
      body,
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: 6 }, 'No jobs match.'))
        : rows.map((job) =>
            h(
              'tr',
              { 'data-job': job.id },
              h('td', {}, h('a', { href: `#/jobs/${job.id}` }, job.name ?? job.id.slice(0, 8))),
              h('td', {}, statusBadge(job.status)),
              h('td', {}, job.node ?? '—'),
              h('td', { class: 'num' }, `${job.resources.cpuMillis}m`),
              h('td', { class: 'num' }, `${job.resources.memoryMiB} MiB`),
              h('td', { class: 'num' }, age(job.createdAt)),
            ),
          ),
    );
    summary.textContent =
      `${matching.length} job${matching.length === 1 ? '' : 's'}` +
      ` · page ${state.page} of ${pages}${app.jobs.truncated ? ' · only the newest 20,000 are loaded' : ''}`;
    previous.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
  };

  show(
    root,
    h(
      'section',
      { 'aria-labelledby': 'jobs-title' },
      h('h1', { id: 'jobs-title' }, 'Jobs'),
      h(
        'div',
        { class: 'toolbar' },
        h('span', { class: 'control' }, h('label', { for: 'filter-status' }, 'Status'), status),
        h('span', { class: 'control' }, h('label', { for: 'filter-name' }, 'Search'), search),
        h('span', { class: 'control' }, h('label', { for: 'sort' }, 'Sort'), sort),
        h('a', { class: 'button', href: '#/new' }, 'New job'),
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'jobs' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Name', 'Status', 'Host', 'CPU', 'Memory', 'Age'].map((label) => h('th', { scope: 'col' }, label)),
            ),
          ),
          body,
        ),
      ),
      h('div', { class: 'pager' }, previous, summary, next),
    ),
  );
  draw();
  const unsubscribe = app.jobs.subscribe(draw);
  const ticker = setInterval(draw, 10_000); // ages move on
  return () => {
    unsubscribe();
    clearInterval(ticker);
  };
};
