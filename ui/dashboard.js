// The dashboard's script (docs/dashboard.md): reads the hub's server-sent
// events and draws each snapshot. fetch() rather than EventSource, so the admin
// token travels in a header, never in a URL that proxies would log.
import { hubFetch, takeTokenFrom } from '/ui/hub-fetch.js';

const state = document.querySelector('#state');
const services = document.querySelector('#services');
const login = document.querySelector('#login');
const cards = new Map();

function show(text, live = false) {
  state.textContent = text;
  state.classList.toggle('live', live);
}

async function follow() {
  const { response, refused, sentToken } = await hubFetch('/ui/events');
  if (refused) {
    login.hidden = false;
    show(sentToken ? 'that token may not see the dashboard' : 'an admin token is needed');
    return false;
  }
  if (!response.ok || !response.body) throw new Error(`the hub answered ${response.status}`);
  login.hidden = true;
  show('live', true);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return true;
    buffer += value;
    // An event ends with a blank line; its data lines follow "data:".
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const data = buffer
        .slice(0, end)
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      buffer = buffer.slice(end + 2);
      if (data) draw(JSON.parse(data));
      end = buffer.indexOf('\n\n');
    }
  }
}

/** With a shared store, which replica is drawn: queues are every replica's, parked workers its own. */
function replicaNote(snapshot) {
  return snapshot.store === 'redis' ? ` · replica ${snapshot.replica} (queues: all replicas)` : '';
}

/** Webhooks that keep dead letters, each with a button that replays them. */
function drawDeadLetters(webhooks) {
  const section = document.querySelector('#dead-letters');
  const failing = webhooks?.failing ?? [];
  section.hidden = failing.length === 0;
  const items = failing.map((webhook) => {
    const item = document.querySelector('#dead-letter').content.firstElementChild.cloneNode(true);
    item.dataset.webhook = webhook.id;
    // Receivers' addresses are data: set as text, never as markup.
    item.querySelector('[data-field="what"]').textContent =
      `${webhook.topic} → ${webhook.address}: ${webhook.deadLetters} dead letter${webhook.deadLetters === 1 ? '' : 's'}`;
    item.querySelector('button').addEventListener('click', () => replay(webhook.id));
    return item;
  });
  section.querySelector('ul').replaceChildren(...items);
}

async function replay(id) {
  const { response } = await hubFetch(`/webhooks/${encodeURIComponent(id)}/replay`, {
    method: 'POST',
  });
  const result = document.querySelector('#replayed');
  if (!response.ok) {
    result.textContent = `the hub refused the replay (${response.status})`;
    return;
  }
  const { replaying } = await response.json();
  result.textContent = `replaying ${replaying}`;
}

function draw(snapshot) {
  drawDeadLetters(snapshot.webhooks);
  show(
    snapshot.ready
      ? `live · ${new Date(snapshot.at).toLocaleTimeString()}${replicaNote(snapshot)}`
      : 'not ready',
    snapshot.ready,
  );
  for (const service of snapshot.services) {
    let card = cards.get(service.service);
    if (!card) {
      card = document.querySelector('#card').content.firstElementChild.cloneNode(true);
      card.dataset.service = service.service;
      cards.set(service.service, card);
      services.append(card);
    }
    const minute = service.lastMinute;
    const set = (field, text) => {
      card.querySelector(`[data-field="${field}"]`).textContent = text;
    };
    set('service', service.service);
    set('queued', service.queued);
    set('oldest', duration(service.oldestQueuedMs));
    set('inFlight', service.inFlight);
    set('waitingWorkers', service.waitingWorkers);
    set('answered', service.answered);
    set('timedOut', service.timedOut);
    set('rate', minute ? minute.callsPerSecond.toFixed(1) : '0.0');
    set('p50', minute?.p50Ms === undefined ? '–' : duration(minute.p50Ms));
    set('p99', minute?.p99Ms === undefined ? '–' : duration(minute.p99Ms));
    const counts = minute ? minute.perSecond : [];
    const top = Math.max(1, ...counts);
    card
      .querySelector('[data-field="chart"]')
      .setAttribute('points', counts.map((n, i) => `${i},${20 - (n / top) * 19}`).join(' '));
  }
}

// Every duration on the page in one style: whole milliseconds below a second
// (a tenth below 10 ms, where there is one), seconds with a tenth from a second on.
const duration = (ms) => {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 10 && !Number.isInteger(ms)) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
};

takeTokenFrom(login, () => run());

// One stream at a time; when it ends (the hub restarted), follow again after a pause.
async function run() {
  try {
    if (!(await follow())) return;
    show('the hub closed the stream; reconnecting…');
  } catch (error) {
    show(`cannot reach the hub (${error.message}); retrying…`);
  }
  setTimeout(run, 2000);
}

run();
