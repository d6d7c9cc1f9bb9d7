/**
 * `npm run bench:profile [-- C [services [bytes]]]`: runs the switchboard row (default
 * C=16, one service, 100-byte bodies; the scale check uses 1000 services) with the
 * hub under `node --cpu-prof`, then prints where the hub's CPU went, by function
 * (self time). The .cpuprofile files stay in bench-results/profile/ for Chrome's
 * DevTools or speedscope.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { runLoad } from './load.js';
import { body } from './measure.js';
import { switchboard } from './systems.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const concurrency = Number(process.argv[2] ?? 16);
const services = Number(process.argv[3] ?? 1);
const bodyBytes = Number(process.argv[4] ?? 100);
const dir = 'bench-results/profile';
rmSync(dir, { recursive: true, force: true });
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
process.env.BENCH_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir}`;
const running = await switchboard.start({ concurrency, services });
delete process.env.BENCH_NODE_ARGS;
const requestBody = body(1, bodyBytes);
const request = () => running.request(requestBody);
await runLoad({ concurrency, warmupMs: 0, windowMs: 1000, request });
const result = await runLoad({ concurrency, warmupMs: 0, windowMs: 5000, request });
await running.stop();
console.log(
  `C=${concurrency}: ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms\n`,
);

// The hub is the profile whose process did the most work.
const profiles = readdirSync(dir).map(
  (file) => JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Profile,
);
const busy = (p: Profile) =>
  p.samples.length -
  p.samples.filter((id) => p.nodes.find((n) => n.id === id)?.callFrame.functionName === '(idle)')
    .length;
const hub = profiles.sort((a, b) => busy(b) - busy(a))[0];
if (!hub) throw new Error('no profile written');
const nodes = new Map(hub.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
let total = 0;
hub.samples.forEach((id, i) => {
  const frame = nodes.get(id)?.callFrame;
  if (!frame) return;
  const where = frame.url ? ` ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber}` : '';
  const key = `${frame.functionName || '(anonymous)'}${where}`;
  const us = hub.timeDeltas[i] ?? 0;
  selfUs.set(key, (selfUs.get(key) ?? 0) + us);
  total += us;
});
for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(
    `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`,
  );
}
process.exit(0);
