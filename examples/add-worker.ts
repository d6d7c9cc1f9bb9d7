// The add service as a HubWorker:  npx tsx examples/add-worker.ts
// Then: curl --json '{"first": 1, "second": 2}' http://127.0.0.1:8080/service/add
import { HubWorker } from '../src/sdk/index.js';

const worker = new HubWorker({
  url: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080',
  services: 'add',
  concurrency: 8,
  handler: (job) => {
    const { first, second } = job.json<{ first: number; second: number }>();
    return { answer: first + second };
  },
}).start();

process.once('SIGINT', () => void worker.stop());
process.once('SIGTERM', () => void worker.stop());
