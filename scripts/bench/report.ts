/** Turns one benchmark run into the markdown tables printed on stdout and kept in docs/benchmarks.md. */

import { type EventResults, HUB_PUBLISH, HUB_PUBLISH_WS, NATS_PUBLISH } from './events.js';
import { type Row, roundsText } from './measure.js';
import type { ScaleResult } from './scale.js';

export interface Report {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: { cpus: number; model: string; memoryGiB: number };
  /** `--only <part>`: a partial run. */
  readonly only?: string;
  readonly node: string;
  readonly hubWorkers: string;
  readonly rows: readonly Row[];
  /** What the metrics' observers cost per call, in process (observer-cost.ts). */
  readonly metricsCostUs: number;
  readonly scale: readonly ScaleResult[];
  /** The events part: fan-out and latency (the publish rows are in `rows`). */
  readonly events?: EventResults;
  readonly skipped: readonly string[];
  readonly durationS: number;
}

const HUB = 'switchboard long-poll';
const PLAIN = 'switchboard plain worker';
const WS = 'switchboard WebSocket worker';
const WS_BOTH = 'switchboard WebSocket both';
const METRICS_ON = 'metrics on (plain worker)';
const METRICS_OFF = 'metrics off (plain worker)';
const REDIS_SDK = 'Redis store, SDK worker';
const REDIS_PLAIN = 'Redis store, plain worker';
const REDIS2_SDK = 'Redis store, 2 replicas, SDK worker';
const REDIS2_PLAIN = 'Redis store, 2 replicas, plain worker';
const PAIRED_HUB = 'this hub (plain worker, paired)';
const PAIRED_MINIMAL = 'minimal hub (plain worker, paired)';
/** Rows of the interleaved parts, which have tables of their own. */
const PAIRED_ROWS: ReadonlySet<string> = new Set([
  METRICS_ON,
  METRICS_OFF,
  PAIRED_HUB,
  PAIRED_MINIMAL,
  HUB_PUBLISH,
  HUB_PUBLISH_WS,
  NATS_PUBLISH,
]);
const fmt = (value: number | undefined, digits = 2) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

export function renderReport(report: Report): string {
  const isMetricsRow = (r: Row) => r.system === METRICS_ON || r.system === METRICS_OFF;
  const mainRows = report.rows.filter(
    (r) => r.payloadBytes === 100 && r.services === 1 && !PAIRED_ROWS.has(r.system),
  );
  const minimal = [
    ...new Set(report.rows.filter((r) => r.system === PAIRED_HUB).map((r) => r.concurrency)),
  ].flatMap((c) => {
    const hub = report.rows.find((r) => r.system === PAIRED_HUB && r.concurrency === c);
    const other = report.rows.find((r) => r.system === PAIRED_MINIMAL && r.concurrency === c);
    if (!hub || !other) return [];
    const spread = pairSpread(slicePairs(report.rows, PAIRED_HUB, PAIRED_MINIMAL, c));
    return [
      [
        String(c),
        fmt(hub.reqPerSec, 0),
        fmt(other.reqPerSec, 0),
        fmt(spread.median),
        `${fmt(spread.low)}-${fmt(spread.high)}`,
        fmt(hub.p50Ms),
        fmt(other.p50Ms),
        fmt(hub.cpuPerCallUs, 0),
        fmt(other.cpuPerCallUs, 0),
      ],
    ];
  });
  const directAt = (c: number, bytes = 100) =>
    report.rows.find(
      (r) => r.system === 'direct' && r.concurrency === c && r.payloadBytes === bytes,
    );

  const throughput = mainRows.map((row) => {
    const base = directAt(row.concurrency);
    return [
      row.system,
      String(row.concurrency),
      fmt(row.reqPerSec, 0),
      roundsText(row) ?? '–',
      base ? fmt(row.reqPerSec / base.reqPerSec) : 'n/a',
      fmt(row.p50Ms),
      fmt(row.p90Ms),
      fmt(row.p99Ms),
      fmt(row.cpuPerCallUs, 0),
      base?.cpuPerCallUs && row.cpuPerCallUs ? fmt(row.cpuPerCallUs / base.cpuPerCallUs, 1) : 'n/a',
      fmt(row.peakRssMiB, 0),
      String(row.errors),
    ];
  });

  const payloadSizes = [
    ...new Set(report.rows.filter((r) => r.concurrency === 16).map((r) => r.payloadBytes)),
  ].sort((a, b) => a - b);
  const payloads = payloadSizes.flatMap((bytes) => {
    const base = directAt(16, bytes);
    const at = (system: string) =>
      report.rows.find(
        (r) =>
          r.system === system &&
          r.concurrency === 16 &&
          r.payloadBytes === bytes &&
          r.services === 1,
      );
    const hub = at(HUB);
    const plain = at(PLAIN);
    if (!base || !hub) return [];
    return [
      [
        size(bytes),
        fmt(base.reqPerSec, 0),
        fmt(hub.reqPerSec, 0),
        fmt(hub.reqPerSec / base.reqPerSec),
        fmt(plain?.reqPerSec, 0),
        plain ? fmt(plain.reqPerSec / base.reqPerSec) : 'n/a',
        fmt(base.p50Ms),
        fmt(hub.p50Ms),
        fmt(plain?.p50Ms),
      ],
    ];
  });

  const rowAt = (system: string, c: number) =>
    report.rows.find(
      (r) =>
        r.system === system && r.concurrency === c && r.payloadBytes === 100 && r.services === 1,
    );
  const redisConcurrencies = [
    ...new Set(report.rows.filter((r) => r.system === REDIS_SDK).map((r) => r.concurrency)),
  ];
  const onRedis = redisConcurrencies.map((c) => {
    const [memory, memoryPlain, sdk, plain, sdk2, plain2, bull] = [
      HUB,
      PLAIN,
      REDIS_SDK,
      REDIS_PLAIN,
      REDIS2_SDK,
      REDIS2_PLAIN,
      'BullMQ',
    ].map((system) => rowAt(system, c));
    const ratio = (a: Row | undefined, b: Row | undefined) =>
      a && b ? fmt(a.reqPerSec / b.reqPerSec) : 'n/a';
    return [
      String(c),
      fmt(sdk?.reqPerSec, 0),
      ratio(sdk, memory),
      fmt(plain?.reqPerSec, 0),
      ratio(plain, memoryPlain),
      fmt(sdk2?.reqPerSec, 0),
      fmt(plain2?.reqPerSec, 0),
      ratio(sdk, bull),
      ratio(plain, bull),
      `${fmt(sdk?.p50Ms)} / ${fmt(sdk2?.p50Ms)}`,
      `${fmt(sdk?.storeCommandsPerCall)} / ${fmt(plain?.storeCommandsPerCall)}`,
    ];
  });

  const scale = report.scale.map((s) => [s.check, s.small, s.large, fmt(s.ratio), s.meaning]);

  return [
    `Run of ${report.date.slice(0, 16).replace('T', ' ')} UTC${report.quick ? ' (--quick: short windows, fewer points)' : ''}: ` +
      `${report.machine.cpus} × ${report.machine.model}, ${report.machine.memoryGiB} GiB, Node ${report.node}, ${report.durationS} s. ` +
      `Hub workers: ${report.hubWorkers}.`,
    '',
    '### Throughput, latency and CPU (100-byte bodies)',
    '',
    table(
      [
        'system',
        'C',
        'req/s',
        'runs',
        '× direct',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'CPU µs/call',
        '× direct CPU',
        'peak RSS MiB',
        'errors',
      ],
      throughput,
    ),
    '',
    'CPU and RSS are those of the measured process: the hub, the direct server, or the broker (nats-server, redis-server). ' +
      '`runs`: req/s of each alternating round of direct and the hub with each worker; the row shows the median round. ' +
      '`switchboard long-poll` is the SDK worker (batches); `switchboard plain worker` takes one job per poll and answers with one `POST /jobs/<id>`, as curl, Go and Python workers do; ' +
      "`switchboard WebSocket worker` is a worker on one WebSocket (credit min(C, 128)) written against the frames, as a worker in any language would be, with HTTP callers; `switchboard SDK WebSocket worker` is the SDK's HubWorker with `transport: 'ws'`; `switchboard WebSocket both` adds callers on one WebSocket, every call in flight on it (docs/websocket.md).",
    '',
    '### Payloads (C=16)',
    '',
    table(
      [
        'body',
        'direct req/s',
        'hub (SDK) req/s',
        'SDK ÷ direct',
        'hub (plain) req/s',
        'plain ÷ direct',
        'direct p50 ms',
        'SDK p50 ms',
        'plain p50 ms',
      ],
      payloads,
    ),
    '',
    '### The Redis store: one hub process and two',
    '',
    'The hub on the Redis at 127.0.0.1:6379 (`HUB_STORE=redis`), beside the memory store (the rows above) and BullMQ (on the same Redis). ' +
      'With two replicas the callers call one and the worker polls the other: every call is handed across replicas. ' +
      'CPU in the main table is the hubs’ and redis-server’s together. ' +
      '`scripts per call`: Lua scripts Redis ran per call (each one request, pipelined with others sent in the same turn), SDK / plain; the hub sends nothing else on its hot path.',
    '',
    table(
      [
        'C',
        'SDK req/s',
        'SDK ÷ memory',
        'plain req/s',
        'plain ÷ memory',
        '2 replicas SDK',
        '2 replicas plain',
        'SDK ÷ BullMQ',
        'plain ÷ BullMQ',
        'p50 ms one / two replicas (SDK)',
        'scripts per call',
      ],
      onRedis,
    ),
    '',
    '### This hub beside a minimal hub (plain worker)',
    '',
    "The same plain worker against this hub and against scripts/bench/targets/minimal-hub.ts (a Hono app, two FIFOs and a map: no leases, limits, auth, flow ids or metrics), both running, the load moved between them slice by slice. `÷`: the median of the paired slices' ratios, and their middle half.",
    '',
    table(
      [
        'C',
        'this hub req/s',
        'minimal hub req/s',
        '÷',
        'middle half',
        'this hub p50 ms',
        'minimal p50 ms',
        'this hub CPU µs/call',
        'minimal CPU µs/call',
      ],
      minimal,
    ),
    '',
    '### Metrics on and off (C=16, plain worker)',
    '',
    `The metrics' observers alone, in process: ${fmt(report.metricsCostUs)} µs per call (scripts/bench/observer-cost.ts).`,
    '',
    table(
      ['metrics', 'req/s (median)', 'runs', 'p50 ms', 'µs CPU per call'],
      report.rows
        .filter(isMetricsRow)
        .map((r) => [
          r.system,
          fmt(r.reqPerSec, 0),
          roundsText(r) ?? '–',
          fmt(r.p50Ms),
          fmt(r.cpuPerCallUs, 0),
        ]),
    ),
    '',
    pairsText('Metrics on ÷ off', slicePairs(report.rows, METRICS_ON, METRICS_OFF, 16)),
    '',
    ...eventsSection(report),
    '### Scale',
    '',
    table(['check', 'small case', 'large case', 'ratio', 'meaning'], scale),
    '',
    '### Targets',
    '',
    table(['target', 'measured', 'met'], targets(report)),
    ...(report.skipped.length ? ['', ...report.skipped.map((s) => `- ${s}`)] : []),
    '',
  ].join('\n');
}

/** Topics beside NATS publish/subscribe (issue 29): publish, fan-out, latency. */
function eventsSection(report: Report): string[] {
  const publishes = report.rows.filter(
    (r) => r.system === HUB_PUBLISH || r.system === HUB_PUBLISH_WS || r.system === NATS_PUBLISH,
  );
  if (!report.events && publishes.length === 0) return [];
  return [
    '### Events: topics beside NATS publish/subscribe',
    '',
    'Publish: C publishers in a closed loop, each waiting until the server has the message (the hub’s 200 to `PUT /topics/<t>`; NATS’s `flush()` after the publish). ' +
      'Fan-out: every message received by N subscribers in all, while 16 publishers publish (hub subscribers: msgbus WebSockets or event streams; NATS: a connection each). ' +
      'Latency: publish to one WebSocket subscriber (NATS: one subscription) at a paced 1,000 messages a second after 2 s of it unmeasured, three alternating rounds, the median round’s p50 and p99 (samples: all rounds). Publish on /ws: the publishers share one socket of the hub’s `/ws` and send request frames, as NATS’s share one connection. All clients in the benchmark’s process.',
    '',
    table(
      ['system', 'C', 'published/s', 'p50 ms', 'p99 ms', 'CPU µs/msg'],
      publishes.map((r) => [
        r.system,
        String(r.concurrency),
        fmt(r.reqPerSec, 0),
        fmt(r.p50Ms),
        fmt(r.p99Ms),
        fmt(r.cpuPerCallUs, 0),
      ]),
    ),
    '',
    table(
      ['fan-out', 'subscribers', 'delivered/s', 'published/s', 'cut'],
      (report.events?.fanOut ?? []).map((f) => [
        f.system,
        String(f.subscribers),
        fmt(f.deliveredPerSec, 0),
        fmt(f.publishedPerSec, 0),
        String(f.cut),
      ]),
    ),
    '',
    table(
      ['webhooks to one local receiver', 'messages each', 'delivered/s'],
      (report.events?.webhooks ?? []).map((w) => [
        `${w.webhooks} webhook${w.webhooks === 1 ? '' : 's'}`,
        String(w.backlog),
        fmt(w.deliveredPerSec, 0),
      ]),
    ),
    '',
    table(
      ['latency at 1,000/s', 'p50 ms', 'p99 ms', 'samples'],
      (report.events?.latency ?? []).map((l) => [
        l.system,
        fmt(l.p50Ms),
        fmt(l.p99Ms),
        String(l.samples),
      ]),
    ),
    '',
  ];
}

function targets(report: Report): string[][] {
  const at = (system: string, c: number) =>
    report.rows.find(
      (r) =>
        r.system === system && r.concurrency === c && r.payloadBytes === 100 && r.services === 1,
    );
  const out: string[][] = [];
  const add = (
    target: string,
    measured: number | undefined,
    ok: (v: number) => boolean,
    digits = 2,
  ) => {
    out.push([
      target,
      fmt(measured, digits),
      measured === undefined ? 'n/a' : ok(measured) ? 'yes' : '**no**',
    ]);
  };
  for (const c of [16, 64, 256]) {
    const hub = at(HUB, c);
    const base = at('direct', c);
    if (hub && base)
      add(`hub req/s ≥ 0.4 × direct at C=${c}`, hub.reqPerSec / base.reqPerSec, (v) => v >= 0.4);
  }
  for (const c of [1, 16, 64, 256]) {
    const hub = at(HUB, c);
    const bull = at('BullMQ', c);
    if (hub && bull)
      add(
        `hub ahead of BullMQ at C=${c} (hub ÷ BullMQ)`,
        hub.reqPerSec / bull.reqPerSec,
        (v) => v > 1,
      );
  }
  const plain16 = at(PLAIN, 16);
  const direct16ForPlain = at('direct', 16);
  if (plain16 && direct16ForPlain)
    add(
      'plain worker req/s ≥ 0.3 × direct at C=16',
      plain16.reqPerSec / direct16ForPlain.reqPerSec,
      (v) => v >= 0.3,
    );
  for (const c of [1, 16, 64, 256]) {
    const plain = at(PLAIN, c);
    const hub = at(HUB, c);
    if (plain && hub)
      add(
        `plain worker ≥ 0.5 × the SDK worker at C=${c} (plain ÷ SDK)`,
        plain.reqPerSec / hub.reqPerSec,
        (v) => v >= 0.5,
      );
  }
  // Issue 28: the Redis store beside the memory store and BullMQ.
  const redis16 = at(REDIS_SDK, 16);
  const memory16 = at(HUB, 16);
  if (redis16 && memory16)
    add(
      'Redis store ≥ 0.5 × the memory store at C=16, SDK worker (÷ memory)',
      redis16.reqPerSec / memory16.reqPerSec,
      (v) => v >= 0.5,
    );
  for (const c of [1, 16, 64, 256]) {
    const bull = at('BullMQ', c);
    for (const [system, label] of [
      [REDIS_SDK, 'SDK'],
      [REDIS_PLAIN, 'plain'],
    ] as const) {
      const row = at(system, c);
      if (row && bull)
        add(
          `Redis store ≥ 3 × BullMQ at C=${c}, ${label} worker (÷ BullMQ)`,
          row.reqPerSec / bull.reqPerSec,
          (v) => v >= 3,
        );
    }
  }
  const one1 = at(REDIS_SDK, 1);
  const two1 = at(REDIS2_SDK, 1);
  if (one1 && two1)
    add(
      'a call handed across replicas adds ≤ 0.5 ms to p50 at C=1 (ms added)',
      two1.p50Ms - one1.p50Ms,
      (v) => v <= 0.5,
    );
  for (const [system, label] of [
    [REDIS_SDK, 'SDK'],
    [REDIS_PLAIN, 'plain'],
  ] as const) {
    const perCall = [1, 16, 64, 256].map((c) => at(system, c)?.storeCommandsPerCall);
    const worst = Math.max(...perCall.filter((v): v is number => v !== undefined));
    if (Number.isFinite(worst))
      add(`Redis scripts per call ≤ 3, ${label} worker (worst C)`, worst, (v) => v <= 3);
  }
  // Latency at C=1 above direct's, for each worker.
  const direct1 = at('direct', 1);
  for (const [system, label, limitMs] of [
    [HUB, 'hub', 0.2],
    [PLAIN, 'plain worker', 0.3],
  ] as const) {
    const row = at(system, 1);
    if (row && direct1)
      add(
        `${label} p50 at C=1 within ${limitMs} ms of direct (ms above)`,
        row.p50Ms - direct1.p50Ms,
        (v) => v <= limitMs,
      );
  }
  // The WebSocket channel (issue 14).
  const ws16 = at(WS, 16);
  const direct16ForWs = at('direct', 16);
  if (ws16 && direct16ForWs)
    add(
      'WebSocket workers req/s ≥ 0.7 × direct at C=16',
      ws16.reqPerSec / direct16ForWs.reqPerSec,
      (v) => v >= 0.7,
    );
  for (const c of [1, 16]) {
    const ws = at(WS, c);
    const natsRow = at('NATS request/reply', c);
    if (ws && natsRow)
      add(
        `WebSocket workers ahead of NATS at C=${c} (WS ÷ NATS)`,
        ws.reqPerSec / natsRow.reqPerSec,
        (v) => v > 1,
      );
  }
  const both64 = at(WS_BOTH, 64);
  const direct64 = at('direct', 64);
  if (both64 && direct64)
    add(
      'WebSocket callers and workers ≥ direct at C=64 (÷ direct)',
      both64.reqPerSec / direct64.reqPerSec,
      (v) => v >= 1,
    );
  const ws1 = at(WS, 1);
  if (ws1 && direct1)
    add(
      'WebSocket workers p50 at C=1 within 0.15 ms of direct (ms above)',
      ws1.p50Ms - direct1.p50Ms,
      (v) => v <= 0.15,
    );
  // Issue 27: callers and workers on sockets, ahead of NATS and the best hub row,
  // at a CPU cost near direct's; a socket worker with HTTP callers at 0.4.
  const hubRows = [HUB, PLAIN, WS, 'switchboard SDK WebSocket worker', WS_BOTH];
  for (const c of [16, 64]) {
    const both = at(WS_BOTH, c);
    const natsRow = at('NATS request/reply', c);
    if (both && natsRow)
      add(
        `WebSocket both ahead of NATS at C=${c} (÷ NATS)`,
        both.reqPerSec / natsRow.reqPerSec,
        (v) => v >= 1,
      );
  }
  for (const c of [1, 16, 64, 256]) {
    const both = at(WS_BOTH, c);
    const others = hubRows.filter((name) => name !== WS_BOTH).map((name) => at(name, c));
    const best = Math.max(...others.map((r) => r?.reqPerSec ?? 0));
    if (both && best > 0)
      add(
        `WebSocket both the best hub row at C=${c} (÷ the best other)`,
        both.reqPerSec / best,
        (v) => v >= 1,
      );
  }
  if (ws16 && direct16ForWs)
    add(
      'a WebSocket worker with HTTP callers ≥ 0.4 × direct at C=16',
      ws16.reqPerSec / direct16ForWs.reqPerSec,
      (v) => v >= 0.4,
    );
  const both16 = at(WS_BOTH, 16);
  if (both16?.cpuPerCallUs && direct16ForWs?.cpuPerCallUs)
    add(
      'WebSocket both CPU per call ≤ 1.5 × direct at C=16',
      both16.cpuPerCallUs / direct16ForWs.cpuPerCallUs,
      (v) => v <= 1.5,
    );
  // Issue 12: the plain path ahead of a hub with nothing in it, at every C.
  for (const c of [1, 16, 64, 256]) {
    const pairs = slicePairs(report.rows, PAIRED_HUB, PAIRED_MINIMAL, c);
    if (pairs.length > 0)
      add(
        `plain worker ahead of a minimal hub at C=${c} (this hub ÷ minimal, median of the paired slices)`,
        median(pairs),
        (v) => v > 1,
      );
  }
  // The cost of metrics (issue 15): the same hub and worker, metrics on and off.
  const off = at(METRICS_OFF, 16);
  const pairs = slicePairs(report.rows, METRICS_ON, METRICS_OFF, 16);
  if (pairs.length > 0)
    add(
      'metrics cost under 5 % at C=16 (req/s with ÷ without, median of the paired slices, plain worker)',
      median(pairs),
      (v) => v >= 0.95,
    );
  // The observers alone, in process, against the hub's whole CPU per call without them.
  if (off?.cpuPerCallUs)
    add(
      "metrics' own cost under 5 % of the hub's CPU per call at C=16 (in-process µs ÷ hub µs)",
      report.metricsCostUs / off.cpuPerCallUs,
      (v) => v < 0.05,
      3,
    );
  const hub16 = at(HUB, 16);
  const direct16 = at('direct', 16);
  if (hub16?.cpuPerCallUs && direct16?.cpuPerCallUs) {
    add(
      'hub CPU per call ≤ 2.5 × direct (C=16)',
      hub16.cpuPerCallUs / direct16.cpuPerCallUs,
      (v) => v <= 2.5,
    );
  }
  const big = report.rows.filter((r) => r.concurrency === 16 && r.payloadBytes === 1024 * 1024);
  const bigHub = big.find((r) => r.system === HUB);
  const bigDirect = big.find((r) => r.system === 'direct');
  if (bigHub && bigDirect)
    add(
      'hub req/s ≥ 0.5 × direct at 1 MiB',
      bigHub.reqPerSec / bigDirect.reqPerSec,
      (v) => v >= 0.5,
    );
  const [services, depth, parked] = report.scale;
  if (services)
    add('many services change throughput < 10% (ratio)', services.ratio, (v) => v > 0.9);
  if (depth)
    add('a deep queue changes enqueue+take cost < 10% (ratio)', depth.ratio, (v) => v < 1.1);
  if (parked) add('parked requests cost < 100 MiB RSS above idle', parked.ratio, (v) => v < 100, 0);
  if (parked)
    add(
      'event-loop delay p99 < 20 ms with them parked (ms)',
      parked.eventLoopP99Ms,
      (v) => v < 20,
      1,
    );
  // Issue 29: topics beside NATS, in the same run.
  const natsPub = at(NATS_PUBLISH, 16);
  // Both channels: a publisher on /ws is NATS's peer (one connection, frames);
  // the HTTP one is every curl and msgbus client.
  for (const [system, channel] of [
    [HUB_PUBLISH_WS, 'on /ws'],
    [HUB_PUBLISH, 'over HTTP'],
  ] as const) {
    const hubPub = at(system, 16);
    if (hubPub && natsPub)
      add(
        `publish ${channel} ≥ 0.5 × NATS at C=16 (÷ NATS)`,
        hubPub.reqPerSec / natsPub.reqPerSec,
        (v) => v >= 0.5,
      );
  }
  // Issue 30: the envelope on the add workload, beside the call path, in the same run.
  const viaEvents = at('switchboard events (POST /events)', 16);
  const viaCall = at('switchboard call (POST /service/add)', 16);
  if (viaEvents && viaCall)
    add(
      'POST /events ≥ 0.9 × POST /service/add at C=16 (÷ call)',
      viaEvents.reqPerSec / viaCall.reqPerSec,
      (v) => v >= 0.9,
    );
  const fan = (system: string) =>
    report.events?.fanOut.find((f) => f.system === system && f.subscribers === 100);
  const hubFan = fan('switchboard WebSocket');
  const natsFan = fan('NATS');
  if (hubFan && natsFan)
    add(
      'delivered/s to 100 WebSocket subscribers ≥ 0.5 × NATS with 100 (÷ NATS)',
      hubFan.deliveredPerSec / natsFan.deliveredPerSec,
      (v) => v >= 0.5,
    );
  const late = (system: string) => report.events?.latency.find((l) => l.system === system);
  const hubLate = late('switchboard WebSocket');
  const natsLate = late('NATS');
  if (hubLate && natsLate)
    add(
      'p99 publish → WebSocket subscriber at 1,000/s ≤ 2 × NATS’s p99 (÷ NATS)',
      hubLate.p99Ms / natsLate.p99Ms,
      (v) => v <= 2,
    );
  return out;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${bytes / 1024 / 1024} MiB`
    : bytes >= 1024
      ? `${bytes / 1024} KiB`
      : `${bytes} B`;
}

/**
 * `a` ÷ `b` at concurrency `c`, slice by slice (measureInterleaved). Each slice's
 * pair ran back to back, so their ratio cancels the VM's drift, which the medians
 * of each side do not.
 */
function slicePairs(rows: readonly Row[], a: string, b: string, c: number): number[] {
  const runs = (name: string) =>
    rows.find((r) => r.system === name && r.concurrency === c)?.runsReqPerSec ?? [];
  const below = runs(b);
  return runs(a).map((r, i) => r / (below[i] ?? Number.NaN));
}

/** The paired ratios' median and middle half: how far the slices agree. */
function pairSpread(pairs: readonly number[]): { median: number; low: number; high: number } {
  const sorted = [...pairs].sort((x, y) => x - y);
  const quarter = (q: number) => sorted[Math.round((sorted.length - 1) * q)] ?? Number.NaN;
  return { median: median(pairs), low: quarter(0.25), high: quarter(0.75) };
}

/** The paired ratios one by one, with their median and middle half. */
function pairsText(label: string, pairs: readonly number[]): string {
  if (pairs.length < 2) return '';
  const { median, low, high } = pairSpread(pairs);
  return (
    `${label}, slice by slice: ${pairs.map((p) => fmt(p)).join(' / ')}; ` +
    `median ${fmt(median)}, middle half ${fmt(low)} to ${fmt(high)}.`
  );
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}
