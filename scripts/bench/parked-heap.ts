/**
 * `node --import tsx scripts/bench/parked-heap.ts [N]`: the live JS heap a parked
 * call costs the hub, after a full GC (the hub probe runs with --expose-gc). Set
 * SNAPSHOT=/path to also write a heap snapshot of the hub with the calls parked.
 */
import { startChild } from './proc.js';
import { parkCalls } from './scale.js';

const count = Number(process.argv[2] ?? 5000);
process.env.BENCH_NODE_ARGS = '--expose-gc';
// The probe writes the snapshot at each sample; the last one, with the calls parked, stays.
const hub = await startChild('scripts/bench/targets/hub-probe.ts', [], /READY (http:\/\/\S+)/, {
  HUB_PROBE_SNAPSHOT: process.env.SNAPSHOT ?? '',
});
delete process.env.BENCH_NODE_ARGS;
const live: number[] = [];
hub.process.stdout?.on('data', (chunk: Buffer) => {
  for (const match of chunk.toString().matchAll(/LIVE (\{.*\})/g))
    live.push(JSON.parse(match[1] ?? '{}').heapMiB);
});
const sample = async () => {
  const seen = live.length;
  hub.process.kill('SIGUSR2');
  while (live.length === seen) await new Promise((resolve) => setTimeout(resolve, 20));
  return live.at(-1) ?? 0;
};

await new Promise((resolve) => setTimeout(resolve, 500));
const before = await sample();
const { pool: callers, held } = parkCalls(hub.ready, count);
for (;;) {
  const status = (await (await fetch(`${hub.ready}/status`)).json()) as { parkedCalls: number };
  if (status.parkedCalls >= count) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const after = await sample();
console.log(
  `live heap ${before.toFixed(1)} -> ${after.toFixed(1)} MiB for ${count} parked calls: ` +
    `${(((after - before) * 1024) / count).toFixed(1)} KiB each`,
);
await hub.stop();
await Promise.all(held);
await callers.destroy();
process.exit(0);
