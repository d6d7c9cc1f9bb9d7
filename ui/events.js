// The events catalogue's script (docs/events-protocol.md): reads
// /events/docs.json every few seconds and lists what is served now. Workers
// write the documentation, so it is only ever set as text, never as markup.
import { hubFetch, takeTokenFrom } from '/ui/hub-fetch.js';

const REFRESH_MS = 5000;
const state = document.querySelector('#state');
const list = document.querySelector('#events');
const login = document.querySelector('#login');
const template = document.querySelector('#entry');

const pretty = (value) => (value === undefined ? '—' : JSON.stringify(value, null, 2));

function render(entries) {
  const sections = entries.map((entry) => {
    const section = template.content.firstElementChild.cloneNode(true);
    const set = (field, text) => {
      section.querySelector(`[data-field="${field}"]`).textContent = text;
    };
    set('name', entry.name);
    set('version', String(entry.version));
    set('doc', entry.doc ?? 'No documentation sent.');
    set('service', entry.service);
    const workers = entry.workers.map((w) => w.id);
    if (entry.waitingWorkers > workers.length) workers.push(`${entry.waitingWorkers} parked polls`);
    set('workers', workers.join(', ') || '—');
    set('since', entry.since ? new Date(entry.since).toLocaleString() : '—');
    set('input', pretty(entry.input));
    set('output', pretty(entry.output));
    set('example', pretty(entry.example));
    return section;
  });
  list.replaceChildren(...sections);
  state.textContent = entries.length ? `${entries.length} served now` : 'no events are served now';
}

async function refresh() {
  const { response, refused, sentToken } = await hubFetch('/events/docs.json');
  if (refused) {
    login.hidden = false;
    state.textContent = sentToken ? 'that token was refused' : 'a token is needed';
    return;
  }
  if (!response.ok) throw new Error(`the hub answered ${response.status}`);
  login.hidden = true;
  render(await response.json());
}

takeTokenFrom(login, () => void refresh());

async function loop() {
  try {
    await refresh();
  } catch (error) {
    state.textContent = `cannot reach the hub: ${error.message}`;
  }
  setTimeout(loop, REFRESH_MS);
}
void loop();
