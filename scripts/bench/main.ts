/**
 * `npm run bench [-- --quick] [-- --write-docs] [-- --only <part>] [-- --render <run.json>]`: the hub
 * against direct HTTP and against NATS and BullMQ, one system at a time, in one
 * run, reported as ratios. `--only` runs one part (hubs, brokers, redis, events,
 * minimal, metrics, payloads, scale) while working on it. docs/benchmarks.md explains the method
 * and holds the latest full run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  type EventResults,
  hubPublish,
  hubPublishWs,
  natsPublish,
  runEventBench,
} from './events.js';
import {
  type MeasureOptions,
  measure,
  measureAlternating,
  measureInterleaved,
  type Row,
  STEADY_WARMUP,
} from './measure.js';
import { observerCostUs } from './observer-cost.js';
import { renderReport } from './report.js';
import { runScaleChecks, type ScaleResult } from './scale.js';
import {
  bullmq,
  direct,
  metricsOff,
  metricsOn,
  minimalHub,
  nats,
  pairedPlain,
  redisPlain,
  redisReplicasPlain,
  redisReplicasSdk,
  redisSdk,
  switchboard,
  switchboardCallBesideEvents,
  switchboardEvents,
  switchboardPlain,
  switchboardSdkWs,
  switchboardWs,
  switchboardWsBoth,
} from './systems.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    'write-docs': { type: 'boolean' },
    only: { type: 'string' },
    // Renders a saved run again (its tables and targets), measuring nothing.
    render: { type: 'string' },
  },
});
if (values.render !== undefined) {
  const saved = JSON.parse(readFileSync(values.render, 'utf8')) as Parameters<
    typeof renderReport
  >[0];
  const markdown = renderReport(saved);
  process.stdout.write(markdown);
  if (values['write-docs']) {
    if (saved.quick || saved.only !== undefined || saved.skipped?.length) {
      console.error('--write-docs needs a full run: this one was quick or partial');
      process.exit(2);
    }
    replaceGenerated('docs/benchmarks.md', markdown);
  }
  process.exit(0);
}
const quick = values.quick ?? false;
const PARTS = [
  'hubs',
  'brokers',
  'redis',
  'events',
  'minimal',
  'metrics',
  'payloads',
  'scale',
] as const;
const only = values.only;
if (only !== undefined && !(PARTS as readonly string[]).includes(only)) {
  console.error(`--only takes one of ${PARTS.join(', ')}; got ${only}`);
  process.exit(2);
}
if (only !== undefined && values['write-docs']) {
  console.error('--write-docs needs the full run: leave out --only');
  process.exit(2);
}
const runs = (part: (typeof PARTS)[number]) => only === undefined || only === part;
const plan = quick
  ? {
      concurrencies: [1, 16],
      payloads: [10 * 1024],
      warmup: { warmupMs: 300, warmupCalls: 1000, maxWarmupMs: 1000 },
      windowMs: 1000,
      rounds: 1,
      slices: 6,
      pairedSlices: 6,
      sliceMs: 500,
    }
  : {
      concurrencies: [1, 16, 64, 256],
      payloads: [10 * 1024, 1024 * 1024],
      warmup: STEADY_WARMUP,
      windowMs: 3000,
      // Direct and the hub alternate this many times per point; the median run counts.
      rounds: 3,
      // Metrics on and off: this many slices of each, interleaved (measureInterleaved).
      slices: 30,
      // This hub beside a minimal one: this many slices of each at every C.
      pairedSlices: 20,
      sliceMs: 1000,
    };
const windows = { ...plan.warmup, windowMs: plan.windowMs };
const sliceWindows = { ...plan.warmup, windowMs: plan.sliceMs };

function logRow(row: Row): Row {
  const errors = row.errors ? `, ${row.errors} errors (${row.firstError})` : '';
  const commands =
    row.storeCommandsPerCall === undefined
      ? ''
      : `, ${row.storeCommandsPerCall.toFixed(2)} Redis scripts/call`;
  console.error(
    `  ${row.system} C=${row.concurrency} ${row.payloadBytes} B: ${row.reqPerSec.toFixed(0)} req/s, p50 ${row.p50Ms.toFixed(2)} ms${commands}${errors}`,
  );
  return row;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.error('building the hub (npm run build)');
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const rows: Row[] = [];
  const skipped: string[] = [];
  // The hub against direct HTTP, the ratio that matters most, with the SDK's
  // batching worker, a plain one-job-per-poll worker and the WebSocket channel:
  // in alternating rounds.
  const hubs = [
    direct,
    switchboard,
    switchboardPlain,
    switchboardWs,
    switchboardSdkWs,
    switchboardWsBoth,
  ];
  console.error(`${hubs.map((s) => s.name).join(', ')}: ${plan.rounds} alternating rounds`);
  const pairAt = (options: MeasureOptions) =>
    measureAlternating(
      hubs.map((system) => ({ system, options })),
      plan.rounds,
      logRow,
    );
  if (runs('hubs')) {
    for (const concurrency of plan.concurrencies) {
      rows.push(...(await pairAt({ ...windows, concurrency, payloadBytes: 100 })));
    }
  }
  for (const system of runs('brokers') ? [nats, bullmq] : []) {
    const why = await system.unavailable();
    if (why) {
      skipped.push(`${system.name}: skipped, ${why}`);
      console.error(`${system.name}: skipped, ${why}`);
      continue;
    }
    console.error(system.name);
    for (const concurrency of plan.concurrencies) {
      rows.push(logRow(await measure(system, { ...windows, concurrency, payloadBytes: 100 })));
    }
  }
  if (runs('redis')) {
    // The Redis store, one hub process and two (callers on one, the worker on
    // the other: every call handed across), with the SDK and the plain worker,
    // in alternating rounds; beside the memory store's rows of the hubs part.
    const onRedis = [redisSdk, redisPlain, redisReplicasSdk, redisReplicasPlain];
    const why = await redisSdk.unavailable();
    if (why) {
      skipped.push(`the Redis store: skipped, ${why}`);
      console.error(`the Redis store: skipped, ${why}`);
    } else {
      console.error(`${onRedis.map((s) => s.name).join(', ')}: ${plan.rounds} alternating rounds`);
      for (const concurrency of plan.concurrencies) {
        rows.push(
          ...(await measureAlternating(
            onRedis.map((system) => ({
              system,
              options: { ...windows, concurrency, payloadBytes: 100 },
            })),
            plan.rounds,
            logRow,
          )),
        );
      }
    }
  }
  let events: EventResults | undefined;
  if (runs('events')) {
    // Topics beside NATS publish/subscribe: publish throughput, fan-out, latency.
    for (const system of [hubPublish, hubPublishWs, natsPublish]) {
      const why = await system.unavailable();
      if (why) {
        skipped.push(`${system.name}: skipped, ${why}`);
        continue;
      }
      console.error(system.name);
      for (const concurrency of [1, 16]) {
        rows.push(logRow(await measure(system, { ...windows, concurrency, payloadBytes: 100 })));
      }
    }
    // POST /events beside POST /service/add, the same add workload and SDK long polls.
    console.error('events envelope beside the call path, C=16');
    rows.push(
      ...(await measureAlternating(
        [switchboardCallBesideEvents, switchboardEvents].map((system) => ({
          system,
          options: { ...windows, concurrency: 16, payloadBytes: 100 },
        })),
        3,
        (row) => console.error(`  ${row.system}: ${row.reqPerSec.toFixed(0)} req/s`),
      )),
    );
    console.error('fan-out and latency');
    events = await runEventBench(plan.windowMs, (line) => console.error(line));
  }
  if (runs('minimal')) {
    // This hub and a minimal one with the same plain worker, paired slice by slice:
    // the gap between them is smaller than one round's noise.
    for (const concurrency of plan.concurrencies) {
      console.error(
        `this hub and a minimal hub, plain worker, C=${concurrency}, interleaved slices`,
      );
      rows.push(
        ...(await measureInterleaved(
          [pairedPlain, minimalHub],
          { ...sliceWindows, concurrency, payloadBytes: 100 },
          plan.pairedSlices,
          logRow,
        )),
      );
    }
  }
  if (runs('metrics')) {
    // The effect looked for (5 %) is smaller than one round's noise on a shared VM:
    // both hubs run at once and the load moves between them, one-second slices.
    console.error('metrics on and off, C=16, interleaved slices');
    rows.push(
      ...(await measureInterleaved(
        [metricsOn, metricsOff],
        { ...sliceWindows, concurrency: 16, payloadBytes: 100 },
        plan.slices,
        logRow,
      )),
    );
  }
  const metricsCostUs = runs('metrics') ? observerCostUs() : Number.NaN;
  if (runs('metrics')) {
    console.error(`  metrics' own cost, in process: ${metricsCostUs.toFixed(2)} µs per call`);
  }
  if (runs('payloads')) {
    console.error('payload sweep, C=16');
    for (const payloadBytes of plan.payloads) {
      rows.push(...(await pairAt({ ...windows, concurrency: 16, payloadBytes })));
    }
  }
  let scale: ScaleResult[] = [];
  if (runs('scale')) {
    console.error('scale checks');
    scale = await runScaleChecks(quick, windows, plan.rounds);
  }

  const report = {
    date: new Date().toISOString(),
    quick,
    ...(only === undefined ? {} : { only }),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    },
    node: process.version,
    plan,
    hubWorkers:
      'one worker process: a HubWorker with concurrency min(C, 128) (long-poll), or min(C, 128) plain polls of one job each (plain worker)',
    rows,
    metricsCostUs,
    scale,
    ...(events === undefined ? {} : { events }),
    skipped,
    durationS: Math.round((Date.now() - started) / 1000),
  };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderReport(report);
  process.stdout.write(markdown);
  if (values['write-docs']) replaceGenerated('docs/benchmarks.md', markdown);
}

/** Rewrites the part of a page between the generated-results markers. */
function replaceGenerated(path: string, content: string): void {
  const page = readFileSync(path, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const [head] = page.split(begin);
  const tail = page.split(end)[1] ?? '\n';
  writeFileSync(path, `${head}${begin}\n${content}${end}${tail}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench failed:', error);
    process.exit(1);
  },
);
