// What the hub's pages share: requests that carry the token entered on the
// page (kept for this tab only, in a header, never in a URL that proxies would
// log), and the form that takes it.
const TOKEN_KEY = 'switchboard-token';

/**
 * fetch() with the tab's token. A refused token (401, 403) is forgotten, but
 * only if it is still the one this request sent: one entered meanwhile is not
 * refused yet. `sentToken`: whether there was one to refuse.
 */
export async function hubFetch(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, {
    ...init,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const refused = response.status === 401 || response.status === 403;
  if (refused && token && sessionStorage.getItem(TOKEN_KEY) === token) {
    sessionStorage.removeItem(TOKEN_KEY);
  }
  return { response, refused, sentToken: token !== null };
}

/** On submitting `form`, keeps the token typed into its `#token` field and calls `then`. */
export function takeTokenFrom(form, then) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, form.querySelector('#token').value);
    then();
  });
}
