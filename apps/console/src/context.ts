import { Api } from './api.js';
import { EventFeed } from './events.js';
import { JobStore } from './store.js';
import { WhoAmI } from './types.js';

/** What every view is given. */
export interface Console {
  api: Api;
  feed: EventFeed;
  jobs: JobStore;
  me: WhoAmI;
  can(scope: 'read' | 'submit' | 'operate' | 'admin'): boolean;
  go(hash: string): void;
}

/** A view draws into its root and returns what stops it (listeners, timers, streams). */
export type View = (root: HTMLElement, console: Console, params: URLSearchParams, path: string[]) => () => void;
