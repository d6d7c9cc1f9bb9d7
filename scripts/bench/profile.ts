/**
 * `npm run bench:profile [-- C [services [bytes [worker]]]]`: runs a hub row
 * (default C=16, one service, 100-byte bodies; the scale check uses 1000
 * services) with the hub under `node --cpu-prof`, then prints where the hub's CPU
 * went, by function (self time), in µs per call. `worker`: `sdk` (the SDK's
 * batching HubWorker, the default), `plain` (one job per poll, as curl, Go and
 * Python workers do), `minimal` (the plain worker against the minimal hub, to
 * compare with `plain`), `ws` (a WebSocket worker, HTTP callers) or `wsboth`
 * (callers and worker on WebSockets), `redis` or `redisplain` (the SDK or the plain worker with
 * the Redis store at 127.0.0.1:6379). The .cpuprofile files stay in bench-results/profile/ for
 * Chrome's DevTools or speedscope.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { runLoad } from './load.js';
import { body, STEADY_WARMUP, warmUp } from './measure.js';
import {
  minimalHub,
  redisPlain,
  redisSdk,
  switchboard,
  switchboardPlain,
  switchboardWs,
  switchboardWsBoth,
} from './systems.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const concurrency = Number(process.argv[2] ?? 16);
const services = Number(process.argv[3] ?? 1);
const bodyBytes = Number(process.argv[4] ?? 100);
const systems = {
  sdk: switchboard,
  plain: switchboardPlain,
  minimal: minimalHub,
  ws: switchboardWs,
  wsboth: switchboardWsBoth,
  redis: redisSdk,
  redisplain: redisPlain,
};
const worker = process.argv[5] ?? 'sdk';
const system = systems[worker as keyof typeof systems];
if (!system) throw new Error(`worker is one of ${Object.keys(systems).join(', ')}; got ${worker}`);
const dir = 'bench-results/profile';
rmSync(dir, { recursive: true, force: true });
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
process.env.BENCH_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir}`;
const running = await system.start({ concurrency, services });
delete process.env.BENCH_NODE_ARGS;
const requestBody = body(1, bodyBytes);
const request = () => running.request(requestBody);
await warmUp((windowMs) => runLoad({ concurrency, warmupMs: 0, windowMs, request }), STEADY_WARMUP);
// V8 stamps samples with the monotonic clock in µs, which hrtime reads too.
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const windowStart = monotonicUs();
const result = await runLoad({ concurrency, warmupMs: 0, windowMs: 5000, request });
const windowEnd = monotonicUs();
await running.stop();
console.log(
  `${system.name} C=${concurrency}: ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms\n`,
);

// Node names a profile CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile.
const hubFile = readdirSync(dir).find((file) => file.split('.')[3] === String(running.measuredPid));
if (!hubFile) throw new Error(`no profile written by the hub (pid ${running.measuredPid})`);
const hub = JSON.parse(readFileSync(`${dir}/${hubFile}`, 'utf8')) as Profile;
const nodes = new Map(hub.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
let total = 0;
// Only the measured window's samples: the warm-up ran colder code.
let at = hub.startTime;
hub.samples.forEach((id, i) => {
  at += hub.timeDeltas[i] ?? 0;
  const frame = nodes.get(id)?.callFrame;
  if (!frame || at < windowStart || at > windowEnd || frame.functionName === '(idle)') return;
  const where = frame.url ? ` ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber}` : '';
  const key = `${frame.functionName || '(anonymous)'}${where}`;
  const us = hub.timeDeltas[i] ?? 0;
  selfUs.set(key, (selfUs.get(key) ?? 0) + us);
  total += us;
});
const perCall = (us: number) => (us / result.completed).toFixed(1).padStart(6);
console.log(`${perCall(total)} µs of busy CPU per call in the hub's main thread\n`);
for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  console.log(`${perCall(us)} µs ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
}
process.exit(0);
