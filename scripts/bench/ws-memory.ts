/**
 * `node --import tsx scripts/bench/ws-memory.ts [sockets] [calls]`: what the
 * WebSocket channel costs the hub in memory (docs/websocket.md): the live JS heap
 * (after a full GC) and the RSS of the hub, per idle worker socket (`serve` sent,
 * a take parked) and per call in flight on one caller socket (parked, no worker).
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { startChild } from './proc.js';

const sockets = Number(process.argv[2] ?? 1000);
const calls = Number(process.argv[3] ?? 1000);
process.env.BENCH_NODE_ARGS = '--expose-gc';
const hub = await startChild('scripts/bench/targets/hub-probe.ts', [], /READY (http:\/\/\S+)/, {
  HUB_WS_MAX_IN_FLIGHT: String(calls),
});
delete process.env.BENCH_NODE_ARGS;
const live: { heapMiB: number; rssMiB: number }[] = [];
hub.process.stdout?.on('data', (chunk: Buffer) => {
  for (const match of chunk.toString().matchAll(/LIVE (\{.*\})/g))
    live.push(JSON.parse(match[1] ?? '{}'));
});
const sample = async () => {
  const seen = live.length;
  hub.process.kill('SIGUSR2');
  while (live.length === seen) await new Promise((resolve) => setTimeout(resolve, 20));
  return live.at(-1) ?? { heapMiB: 0, rssMiB: 0 };
};
const parked = async (count: number, key: 'parkedCalls' | 'parkedPolls') => {
  for (let i = 0; i < 300; i++) {
    const status = (await (await fetch(`${hub.ready}/status`)).json()) as Record<string, number>;
    if ((status[key] ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`fewer than ${count} ${key}`);
};
const open = async () => {
  const socket = new WebSocket(`${hub.ready.replace('http', 'ws')}/ws`, 'switchboard.v1');
  await once(socket, 'open');
  return socket;
};
const perItem = (from: { heapMiB: number; rssMiB: number }, to: typeof from, n: number) =>
  `heap ${(((to.heapMiB - from.heapMiB) * 1024) / n).toFixed(1)} KiB, RSS ${(((to.rssMiB - from.rssMiB) * 1024) / n).toFixed(1)} KiB each`;

await new Promise((resolve) => setTimeout(resolve, 500));
const idle = await sample();
const workers: WebSocket[] = [];
for (let i = 0; i < sockets; i++) {
  const socket = await open();
  socket.send(JSON.stringify({ type: 'serve', services: [`idle-${i % 100}`], credit: 1 }));
  workers.push(socket);
}
await parked(sockets, 'parkedPolls');
const withWorkers = await sample();
console.log(`${sockets} idle worker sockets: ${perItem(idle, withWorkers, sockets)}`);

const caller = await open();
for (let i = 0; i < calls; i++) {
  caller.send(
    JSON.stringify({
      uid: String(i),
      m: 'POST',
      r: '/service/nobody',
      h: { 'hub-timeout': '60000', 'hub-no-workers': 'queue' },
      d: { first: i, second: 7 },
    }),
  );
}
await parked(calls, 'parkedCalls');
const withCalls = await sample();
console.log(`${calls} calls in flight on one socket: ${perItem(withWorkers, withCalls, calls)}`);

for (const socket of [...workers, caller]) socket.terminate();
await hub.stop();
process.exit(0);
