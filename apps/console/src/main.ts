import { Api, ApiError } from './api.js';
import { Console, View } from './context.js';
import { h, show } from './dom.js';
import { EventFeed } from './events.js';
import { JobStore } from './store.js';
import { WhoAmI } from './types.js';
import { jobView } from './views/job.js';
import { jobsView } from './views/jobs.js';
import { newJobView } from './views/new-job.js';
import { nodesView } from './views/nodes.js';
import { queuesView } from './views/queues.js';
import { signIn } from './views/signin.js';

const ROUTES: Record<string, View> = { jobs: jobsView, new: newJobView, nodes: nodesView, queues: queuesView };

const root = document.getElementById('app')!;
const api = new Api();

/** The console once signed in: a header, the connection's state, and the view the URL's hash names. */
function start(me: WhoAmI): void {
  const feed = new EventFeed(api);
  const jobs = new JobStore(api, feed);
  const app: Console = {
    api,
    feed,
    jobs,
    me,
    can: (scope) => me.scopes.includes('admin') || me.scopes.includes(scope),
    go: (hash) => (location.hash = hash),
  };
  const main = h('main', { id: 'view', tabindex: -1 });
  const banner = h('p', { class: 'connection', role: 'status', 'aria-live': 'polite' });
  const links = (['jobs', 'new', 'nodes', 'queues'] as const).map((route) =>
    h(
      'a',
      { href: `#/${route}`, 'data-route': route },
      { jobs: 'Jobs', new: 'New job', nodes: 'Nodes', queues: 'Queues' }[route],
    ),
  );
  const signOut = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        feed.stop();
        api.token = null;
        location.hash = '';
        location.reload();
      },
    },
    'Sign out',
  );
  show(
    root,
    h(
      'header',
      {},
      h('a', { class: 'brand', href: '#/jobs' }, 'Berth'),
      h('nav', { 'aria-label': 'Views' }, ...links),
      h('span', { class: 'who' }, `${me.namespace} · ${me.scopes.join(', ')}`),
      signOut,
    ),
    banner,
    main,
  );
  feed.onState((state, detail) => {
    banner.className = `connection ${state}`;
    banner.textContent =
      state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : `Connection lost, reconnecting… ${detail}`;
    if (state === 'live' && !jobs.loaded) {
      void jobs.load().catch((err: Error) => (banner.textContent = `Could not load the jobs: ${err.message}`));
    }
  });
  feed.onGap(() => void jobs.load());
  // A lost connection that comes back reloads the jobs too: events may have been missed beyond the log.
  let stop: () => void = () => undefined;
  const route = () => {
    const [path, query] = (location.hash.replace(/^#\/?/, '') || 'jobs').split('?');
    const parts = path.split('/');
    const view = parts[0] === 'jobs' && parts[1] ? jobView : (ROUTES[parts[0]] ?? jobsView);
    links.forEach((link) => link.toggleAttribute('aria-current', link.dataset.route === parts[0] && !parts[1]));
    stop();
    stop = view(main, app, new URLSearchParams(query ?? ''), parts);
  };
  window.addEventListener('hashchange', route);
  feed.start();
  route();
}

async function boot(): Promise<void> {
  if (api.token === null) {
    signIn(root, api, start);
    return;
  }
  try {
    start(await api.json<WhoAmI>('GET', '/v1/whoami'));
  } catch (err) {
    const expired = err instanceof ApiError && err.status === 401;
    if (expired) {
      api.token = null;
    }
    signIn(root, api, start, expired ? `Signed out: ${err.message}` : (err as Error).message);
  }
}

void boot();
