// The hub, started in-process so it can report its own event-loop delay
// (perf_hooks.monitorEventLoopDelay) and memory every 500 ms while the benchmark loads it.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../../src/config.js';
import { startServer } from '../../../src/http/server.js';

const server = await startServer(
  loadConfig({
    env: { PORT: '0', HUB_MAX_PARKED: '100000', HUB_MAX_CALL_TIMEOUT_MS: '600000' },
    argv: [],
  }),
);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
console.log(`READY ${server.url}`);
setInterval(() => {
  const stats = { p99Ms: delay.percentile(99) / 1e6, rssMiB: process.memoryUsage().rss / 2 ** 20 };
  console.log(`STATS ${JSON.stringify(stats)}`);
  delay.reset();
}, 500);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
