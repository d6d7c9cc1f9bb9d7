// The add service as a HubWorker:  npx tsx examples/add-worker.ts
// Then: curl -H 'Content-Type: application/json' -d '{"first": 1, "second": 2}' http://127.0.0.1:8080/service/add
// Ctrl-C stops it: the jobs in hand finish and are answered first.
import { HubWorker } from 'switchboard-hub/sdk';

const hub = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080';

const worker = new HubWorker({
  url: hub,
  token: process.env.SWITCHBOARD_TOKEN,
  services: 'add',
  concurrency: 8,
  handler: (job) => {
    const { first, second } = job.json<{ first?: unknown; second?: unknown }>() ?? {};
    if (typeof first !== 'number' || typeof second !== 'number') {
      // A Response sets the caller's status: bad input is the caller's 400, not a 200.
      return Response.json(
        { error: 'expected {"first": <number>, "second": <number>}' },
        { status: 400 },
      );
    }
    return { answer: first + second };
  },
}).start();
// Once the hub has this worker's socket, calls to 'add' find it. (A refused token
// rejects `ready` too; `closed` below says so.)
worker.ready.then(
  () => console.log(`add worker: taking jobs of 'add' from ${hub} (Ctrl-C to stop)`),
  () => {},
);

// A refused token stops the worker by itself: say so and exit non-zero.
worker.closed.catch((error: Error) => {
  console.error(`add worker: ${error.message}`);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    console.log(`add worker: ${signal}, finishing the jobs in hand`);
    await worker.stop();
    console.log('add worker: stopped');
  });
}
