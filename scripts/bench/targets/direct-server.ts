// The baseline: the add handler as a plain Hono server, called directly.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type AddRequest, add } from './add.js';

const app = new Hono();
app.post('/add', async (c) => c.json(add(await c.req.json<AddRequest>())));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  console.log(`READY ${info.port}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
