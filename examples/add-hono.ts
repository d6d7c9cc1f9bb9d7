// The add service as an ordinary Hono app, served through the hub with no port:
//   npx tsx examples/add-hono.ts
// Then either form reaches it:
//   curl --json '{"first": 1, "second": 2}' http://127.0.0.1:8080/service/add
//   curl 'http://127.0.0.1:8080/call/add/sum?first=1&second=2'
import { Hono } from 'hono';
import { serveFetch } from '../src/sdk/index.js';

const app = new Hono();
app.post('/', async (c) => {
  const { first, second } = await c.req.json<{ first: number; second: number }>();
  return c.json({ answer: first + second });
});
app.get('/sum', (c) =>
  c.json({ answer: Number(c.req.query('first')) + Number(c.req.query('second')) }),
);

const worker = serveFetch(app.fetch, {
  hub: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080',
  service: 'add',
  concurrency: 8,
});

process.once('SIGINT', () => void worker.stop());
process.once('SIGTERM', () => void worker.stop());
