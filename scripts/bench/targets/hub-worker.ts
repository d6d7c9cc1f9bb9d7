// Switchboard workers: the SDK's HubWorker running the add handler.
// argv: hub URL, concurrency per service, number of services (add-0 ... add-N-1;
// 1 means "add"), transport (http unless given).
import { HubWorker, type Transport } from '../../../src/sdk/index.js';
import { type AddRequest, add } from './add.js';

const [url = '', concurrency = '1', serviceCount = '1', transport = 'http'] = process.argv.slice(2);
const count = Number(serviceCount);
const services = count === 1 ? ['add'] : Array.from({ length: count }, (_, i) => `add-${i}`);
const worker = new HubWorker({
  url,
  services,
  concurrency: Number(concurrency),
  transport: transport as Transport,
  logger: false,
  handler: (job) => add(job.json<AddRequest>()),
}).start();
console.log('READY');
process.once('SIGTERM', () => worker.stop({ graceMs: 1000 }).then(() => process.exit(0)));
