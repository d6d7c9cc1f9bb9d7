// A plain long-poll worker, as a Go, Python or curl worker is written: `polls`
// loops, each taking one job per GET /service/add/jobs and answering it with one
// POST /jobs/<id>. No SDK, no batches, no heartbeats. Polls and answers use two
// undici pools, so an answer never waits behind a parked poll.
// argv: hub URL, polls in flight.
import { Pool } from 'undici';
import { type AddRequest, add } from './add.js';

const [url = '', pollCount = '1'] = process.argv.slice(2);
const polls = Number(pollCount);
const pollPool = new Pool(url, { connections: polls });
const answerPool = new Pool(url, { connections: polls });
let stopping = false;

async function loop(): Promise<void> {
  while (!stopping) {
    const poll = await pollPool.request({ method: 'GET', path: '/service/add/jobs?timeout=30000' });
    if (poll.statusCode !== 200) {
      await poll.body.dump();
      if (poll.statusCode !== 204) throw new Error(`poll answered ${poll.statusCode}`);
      continue;
    }
    const job = (await poll.body.json()) as { id: string; originalRequest: AddRequest };
    const answer = await answerPool.request({
      method: 'POST',
      path: `/jobs/${job.id}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(add(job.originalRequest)),
    });
    await answer.body.dump();
    if (answer.statusCode !== 200) throw new Error(`answer refused with ${answer.statusCode}`);
  }
}

for (let i = 0; i < polls; i++) {
  loop().catch((error: unknown) => {
    if (stopping) return;
    console.error(error);
    process.exit(1);
  });
}
console.log('READY');
process.once('SIGTERM', () => {
  stopping = true;
  void Promise.all([pollPool.destroy(), answerPool.destroy()]).then(() => process.exit(0));
});
