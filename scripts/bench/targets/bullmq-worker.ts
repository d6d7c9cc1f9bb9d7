// BullMQ peer: a Worker with concurrency 32 on the local Redis.
import { Worker } from 'bullmq';
import { type AddRequest, add } from './add.js';

const worker = new Worker<AddRequest>('bench-add', async (job) => add(job.data), {
  concurrency: 32,
  connection: { host: '127.0.0.1', port: 6379 },
});
await worker.waitUntilReady();
console.log('READY');
process.once('SIGTERM', () => worker.close().then(() => process.exit(0)));
