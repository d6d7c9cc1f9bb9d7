// A bare add worker for the fault test: plain JavaScript so it starts in tens of
// milliseconds, and raw HTTP so a SIGKILL lands with jobs genuinely in flight.
// Usage: node add-worker.mjs <hub url> <slots> [batch]
// With `batch`, each slot takes up to 4 jobs at once and answers them in one
// answer batch ([P-BATCH]), so a kill lands on several jobs at a time.
const [url, slots = '2', mode = 'single'] = process.argv.slice(2);

async function batchSlot() {
  for (;;) {
    let jobs;
    try {
      const poll = await fetch(`${url}/service/add/jobs?timeout=1000&max=4`);
      if (poll.status !== 200) {
        await poll.arrayBuffer();
        continue;
      }
      jobs = await poll.json();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 25));
    const bodies = jobs.map(({ originalRequest: { first, second } }) =>
      Buffer.from(JSON.stringify({ answer: first + second })),
    );
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

async function slot() {
  for (;;) {
    let job;
    try {
      const poll = await fetch(`${url}/service/add/jobs?timeout=1000`);
      if (poll.status !== 200) {
        await poll.arrayBuffer();
        continue;
      }
      job = await poll.json();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    // Long enough that kills often find a job in hand.
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 25));
    const { first, second } = job.originalRequest;
    await fetch(`${url}/jobs/${job.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ answer: first + second }),
    }).then(
      (response) => response.arrayBuffer(),
      () => {},
    );
  }
}

for (let i = 0; i < Number(slots); i++) (mode === 'batch' ? batchSlot : slot)();
process.stdout.write('ready\n');
