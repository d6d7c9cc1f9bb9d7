// The calibration point of issue 12: what a straightforward Node hub achieves with
// nothing in it. One Hono app; per service a FIFO of jobs and a FIFO of parked polls;
// a map of waiting callers, each with a deadline; a poll whose client leaves is
// dropped (through the request's signal, as a Hono app would), so no job is handed
// to nobody. No leases, limits, auth, flow ids, batches or metrics. It speaks the part of the protocol the
// plain worker uses: POST /service/:name, GET /service/:name/jobs (204 after
// ?timeout ms), POST /jobs/:id. Prints READY <url>.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

interface Job {
  readonly id: string;
  /** The caller's JSON, spliced into the job as `originalRequest`. */
  readonly body: string;
}

type Take = (job: Job | undefined) => void;

interface Service {
  readonly jobs: Job[];
  /** In arrival order, so the longest-waiting poll gets the next job. */
  readonly polls: Set<Take>;
}

const CALL_DEADLINE_MS = 30_000;
const services = new Map<string, Service>();
const callers = new Map<string, (answer: string | undefined) => void>();

function serviceNamed(name: string): Service {
  let service = services.get(name);
  if (!service) {
    service = { jobs: [], polls: new Set() };
    services.set(name, service);
  }
  return service;
}

const app = new Hono();

app.post('/service/:name', async (c) => {
  const job = { id: randomUUID(), body: await c.req.text() };
  const answer = await new Promise<string | undefined>((resolve) => {
    const deadline = setTimeout(() => {
      callers.delete(job.id);
      resolve(undefined);
    }, CALL_DEADLINE_MS);
    callers.set(job.id, (answer) => {
      clearTimeout(deadline);
      resolve(answer);
    });
    const service = serviceNamed(c.req.param('name'));
    const [poll] = service.polls;
    if (poll) {
      service.polls.delete(poll);
      poll(job);
    } else {
      service.jobs.push(job);
    }
  });
  if (answer === undefined) return c.body(null, 504);
  return c.body(answer, 200, { 'content-type': 'application/json' });
});

app.get('/service/:name/jobs', async (c) => {
  const service = serviceNamed(c.req.param('name'));
  const job =
    service.jobs.shift() ??
    (await new Promise<Job | undefined>((resolve) => {
      const take: Take = (job) => {
        clearTimeout(timer);
        resolve(job);
      };
      c.req.raw.signal.addEventListener('abort', () => {
        if (service.polls.delete(take)) take(undefined);
      });
      const timer = setTimeout(
        () => {
          service.polls.delete(take);
          resolve(undefined);
        },
        Number(c.req.query('timeout') ?? 30_000),
      );
      service.polls.add(take);
    }));
  if (!job) return c.body(null, 204);
  return c.body(`{"id":"${job.id}","originalRequest":${job.body}}`, 200, {
    'content-type': 'application/json',
  });
});

app.post('/jobs/:id', async (c) => {
  const answer = await c.req.text();
  const id = c.req.param('id');
  const caller = callers.get(id);
  if (!caller) return c.body(null, 404);
  callers.delete(id);
  caller(answer);
  return c.body(null, 200);
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  console.log(`READY http://127.0.0.1:${info.port}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
