/**
 * `node --import tsx scripts/bench/row.ts <system> <C> [seconds]`: one row of the
 * benchmark, for before/after comparisons of a hot-path change without the full run.
 * Systems: direct, switchboard (the SDK worker), plain (one job per poll), ws (a
 * frames-written WebSocket worker), sdkws (the SDK's WebSocket worker), wsboth
 * (callers on a WebSocket too), events (`POST /events` to an EventMux worker), nats, bullmq.
 */
import { execFileSync } from 'node:child_process';
import { measure, STEADY_WARMUP } from './measure.js';
import {
  bullmq,
  direct,
  nats,
  redisPlain,
  redisReplicasPlain,
  redisReplicasSdk,
  redisSdk,
  switchboard,
  switchboardEvents,
  switchboardPlain,
  switchboardSdkWs,
  switchboardWs,
  switchboardWsBoth,
} from './systems.js';

const systems = {
  direct,
  switchboard,
  plain: switchboardPlain,
  events: switchboardEvents,
  ws: switchboardWs,
  sdkws: switchboardSdkWs,
  wsboth: switchboardWsBoth,
  nats,
  bullmq,
  redis: redisSdk,
  redisplain: redisPlain,
  redis2: redisReplicasSdk,
  redis2plain: redisReplicasPlain,
};
const hubs: readonly unknown[] = [
  switchboard,
  switchboardEvents,
  switchboardPlain,
  switchboardWs,
  switchboardSdkWs,
  switchboardWsBoth,
  redisSdk,
  redisPlain,
  redisReplicasSdk,
  redisReplicasPlain,
];
const [name = 'switchboard', c = '16', seconds = '5'] = process.argv.slice(2);
const system = systems[name as keyof typeof systems];
if (!system) throw new Error(`unknown system ${name}`);
if (hubs.includes(system)) execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const row = await measure(system, {
  concurrency: Number(c),
  payloadBytes: 100,
  ...STEADY_WARMUP,
  windowMs: Number(seconds) * 1000,
});
console.log(
  `${row.system} C=${row.concurrency}: ${row.reqPerSec.toFixed(0)} req/s, p50 ${row.p50Ms.toFixed(2)} ms, ` +
    `p99 ${row.p99Ms.toFixed(2)} ms, CPU ${row.cpuPerCallUs?.toFixed(0)} µs/call, peak RSS ${row.peakRssMiB?.toFixed(0)} MiB, errors ${row.errors}` +
    (row.storeCommandsPerCall === undefined
      ? ''
      : `, Redis scripts ${row.storeCommandsPerCall.toFixed(2)}/call`),
);
process.exit(0);
