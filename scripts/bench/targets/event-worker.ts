// The add workload as an event: EventMux serving `add` version 1 (the service
// add.v1), with the SDK's long polls as `hub-worker.ts` uses them.
// argv: hub URL, concurrency.
import { EventMux } from '../../../src/sdk/index.js';
import { type AddRequest, add } from './add.js';

const [url = '', concurrency = '1'] = process.argv.slice(2);
const serving = new EventMux()
  .add<AddRequest & Record<string, unknown>>('add', 1, (e) => add(e.payload))
  .serve({ hub: url, concurrency: Number(concurrency), transport: 'http', logger: false });
console.log('READY');
process.once('SIGTERM', () => serving.stop({ graceMs: 1000 }).then(() => process.exit(0)));
