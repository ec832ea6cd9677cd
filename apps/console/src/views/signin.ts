import { Api, ApiError } from '../api.js';
import { h, show } from '../dom.js';
import { WhoAmI } from '../types.js';

/** Asks for a token (kept in this tab's session storage only) and checks it with GET /v1/whoami. */
export function signIn(root: HTMLElement, api: Api, signedIn: (me: WhoAmI) => void, notice = ''): void {
  const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, notice);
  token.setAttribute('aria-describedby', 'signin-error');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.value.trim();
    if (value === '') {
      error.textContent = 'Paste an API token (berth_…): npm start writes the admin one to .berth/admin-token.';
      return;
    }
    button.disabled = true;
    api.token = value;
    try {
      signedIn(await api.json<WhoAmI>('GET', '/v1/whoami'));
    } catch (err) {
      api.token = null;
      error.textContent =
        err instanceof ApiError && err.status === 401
          ? `That token was refused: ${err.message}`
          : (err as Error).message;
      token.focus();
    } finally {
      button.disabled = false;
    }
  };
  show(
    root,
    h(
      'form',
      { class: 'signin', 'aria-labelledby': 'signin-title', onsubmit: (e: Event) => void submit(e) },
      h('h1', { id: 'signin-title' }, 'Sign in to Berth'),
      h('label', { for: 'token' }, 'Token'),
      token,
      error,
      button,
      h('p', { class: 'summary' }, 'The token stays in this tab only. It can do here what it can do with the API.'),
    ),
  );
  token.focus();
}
