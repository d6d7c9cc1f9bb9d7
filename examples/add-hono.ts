// The add service as an ordinary Hono app, served through the hub with no port:
//   npx tsx examples/add-hono.ts
// Then either form reaches it:
//   curl -H 'Content-Type: application/json' -d '{"first": 1, "second": 2}' http://127.0.0.1:8080/service/add
//   curl 'http://127.0.0.1:8080/call/add/sum?first=1&second=2'
// Ctrl-C stops it: the requests in hand finish and are answered first.
import { Hono } from 'hono';
import { serveFetch } from 'switchboard-hub/sdk';

const app = new Hono();
const sum = (first: unknown, second: unknown) =>
  typeof first === 'number' && typeof second === 'number' && Number.isFinite(first + second)
    ? { answer: first + second }
    : undefined;
const badInput = { error: 'expected two numbers, first and second' };

app.post('/', async (c) => {
  const body = await c.req.json<{ first?: unknown; second?: unknown }>().catch(() => undefined);
  const answer = sum(body?.first, body?.second);
  return answer ? c.json(answer) : c.json(badInput, 400);
});
app.get('/sum', (c) => {
  const answer = sum(Number(c.req.query('first')), Number(c.req.query('second')));
  return answer ? c.json(answer) : c.json(badInput, 400);
});

const hub = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080';
const worker = serveFetch(app.fetch, {
  hub,
  token: process.env.SWITCHBOARD_TOKEN,
  service: 'add',
  concurrency: 8,
});
worker.ready.then(
  () => console.log(`add (Hono): serving the app as 'add' through ${hub} (Ctrl-C to stop)`),
  () => {},
);

worker.closed.catch((error: Error) => {
  console.error(`add (Hono): ${error.message}`);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    console.log(`add (Hono): ${signal}, finishing the requests in hand`);
    await worker.stop();
    console.log('add (Hono): stopped');
  });
}
