// A bare add worker for the fault test: plain JavaScript so it starts in tens of
// milliseconds, and raw HTTP so a SIGKILL lands with jobs genuinely in flight.
// Usage: node add-worker.mjs <hub url> <slots>
const [url, slots = '2'] = process.argv.slice(2);

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

for (let i = 0; i < Number(slots); i++) slot();
process.stdout.write('ready\n');
