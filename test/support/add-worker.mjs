// A bare add worker for the fault test: plain JavaScript so it starts in tens of
// milliseconds, and raw HTTP so a SIGKILL lands with jobs genuinely in flight.
// Usage: node add-worker.mjs <hub url> <slots> [single|batch|ws]
// With `batch`, each slot takes up to 4 jobs at once and answers them in one
// answer batch ([P-BATCH]), so a kill lands on several jobs at a time. With `ws`,
// one WebSocket with credit for 2 jobs per slot ([P-WS-WORKER]); with `ws-hold`,
// the same, but it never answers (it prints each job id it holds).
import WebSocket from 'ws';

const [url, slots = '2', mode = 'single'] = process.argv.slice(2);

/** One poll: the parsed job (or jobs), or undefined when none came or the hub was away. */
async function poll(query) {
  try {
    const response = await fetch(`${url}/service/add/jobs?timeout=1000${query}`);
    if (response.status === 200) return await response.json();
    await response.arrayBuffer();
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

/** Long enough that kills often find jobs in hand. */
const work = () => new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 25));

const answerOf = ({ originalRequest: { first, second } }) =>
  Buffer.from(JSON.stringify({ answer: first + second }));

async function slot() {
  for (;;) {
    const job = await poll('');
    if (!job) continue;
    await work();
    await fetch(`${url}/jobs/${job.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: answerOf(job),
    }).then(
      (response) => response.arrayBuffer(),
      () => {},
    );
  }
}

async function batchSlot() {
  for (;;) {
    const jobs = await poll('&max=4');
    if (!jobs) continue;
    await work();
    const bodies = jobs.map(answerOf);
    const heads = jobs.map((job, i) => ({
      id: job.id,
      contentType: 'application/json',
      headers: { 'x-answered-by': 'batch' },
      length: bodies[i].byteLength,
    }));
    await fetch(`${url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.switchboard.answers' },
      body: Buffer.concat([Buffer.from(`${JSON.stringify(heads)}\n`), ...bodies]),
    }).then(
      (response) => response.arrayBuffer(),
      () => {},
    );
  }
}

/** Jobs pushed on one socket, each answered after its work, as they come. */
async function socketWorker() {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'switchboard.v1');
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'serve', services: ['add'], credit: 2 * Number(slots) }));
  socket.on('message', async (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type !== 'job') return;
    if (mode === 'ws-hold') {
      process.stdout.write(`holding ${frame.job.id}\n`);
      return;
    }
    await work();
    const { first, second } = frame.job.originalRequest;
    socket.send(
      JSON.stringify({
        type: 'answer',
        id: frame.job.id,
        headers: { 'x-answered-by': 'ws' },
        body: { answer: first + second },
      }),
    );
  });
}

if (mode === 'ws' || mode === 'ws-hold') await socketWorker();
else for (let i = 0; i < Number(slots); i++) (mode === 'batch' ? batchSlot : slot)();
process.stdout.write('ready\n');
