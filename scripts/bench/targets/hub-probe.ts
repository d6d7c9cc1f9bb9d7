// The hub, started in-process so it can report its own event-loop delay
// (perf_hooks.monitorEventLoopDelay) and memory every 500 ms while the benchmark loads it.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { hub as built } from './built-hub.js';

const { loadConfig, startServer } = built;

const server = await startServer(
  loadConfig({
    env: {
      PORT: '0',
      HUB_MAX_PARKED: '100000',
      HUB_MAX_PARKED_PER_SERVICE: '100000',
      HUB_MAX_CALL_TIMEOUT_MS: '600000',
    },
    argv: [],
  }),
);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
console.log(`READY ${server.url}`);
setInterval(() => {
  const memory = process.memoryUsage();
  const stats = {
    p99Ms: delay.percentile(99) / 1e6,
    rssMiB: memory.rss / 2 ** 20,
    heapMiB: memory.heapUsed / 2 ** 20,
  };
  console.log(`STATS ${JSON.stringify(stats)}`);
  delay.reset();
}, 500);
// With --expose-gc, SIGUSR2 reports the live heap after a full collection.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  if (process.env.HUB_PROBE_SNAPSHOT) writeHeapSnapshot(process.env.HUB_PROBE_SNAPSHOT);
  const { heapUsed, rss } = process.memoryUsage();
  console.log(`LIVE ${JSON.stringify({ heapMiB: heapUsed / 2 ** 20, rssMiB: rss / 2 ** 20 })}`);
});
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
