// The core's queue at depth: the cost of one enqueue, one take and one answer with `depth`
// jobs already queued in the service, in-process (no HTTP), so only the data
// structures show. Prints RESULT <ns per enqueue+take>.

import { hub as built } from './built-hub.js';

const { createHub, loadConfig } = built;

const depth = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 20_000);
const hub = createHub({
  ...loadConfig({ env: {}, argv: [] }),
  maxQueuedPerService: depth + rounds + 10,
  maxParked: depth + rounds + 10,
  maxParkedPerService: depth + rounds + 10,
  callTimeoutMs: 600_000,
  // No worker polls here: without this every call would be refused with no_workers.
  noWorkersMs: 0,
});
const payload = {
  method: 'POST',
  path: '/',
  query: '',
  body: Buffer.from('{}'),
  contentType: undefined,
  isJson: true,
  headers: {},
  flowId: 'bench',
};
const quiet = () => {};
// No abort signal: one signal shared by every call would measure EventTarget's listener list instead.
for (let i = 0; i < depth; i++) hub.call({ service: 'deep', payload }).catch(quiet);

const answer = { status: 200, contentType: undefined, headers: {}, body: new Uint8Array(0) };

/** One job in at the tail, one out at the head (a prefilled one), answered: the depth stays put. */
async function round(): Promise<void> {
  hub.call({ service: 'deep', payload }).catch(quiet);
  const job = await hub.take({ service: 'deep', timeoutMs: 0 });
  if (!job) throw new Error('the queue was empty: the calls were refused');
  await hub.answer(job.id, answer);
}
for (let i = 0; i < 2000; i++) await round(); // warm-up
const start = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) await round();
const ns = Number(process.hrtime.bigint() - start) / rounds;
console.log(`RESULT ${ns.toFixed(0)}`);
process.exit(0);
