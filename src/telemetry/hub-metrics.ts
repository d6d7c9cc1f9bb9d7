import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Hub, ServiceDetail } from '../core/hub.js';
import type { CallEnd, CallOutcome, HubObserver } from '../core/observer.js';
import type { HubStatus, ServiceStats } from '../protocol.js';
import { type ServiceLabel, ServiceLabels } from './service-labels.js';

/**
 * Buckets of the call-latency and queue-wait histograms, in seconds: a
 * millisecond up to the longest default deadline and beyond (docs/metrics.md).
 */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/** The gauges read off `GET /status` at each scrape, by metric name. */
const STATUS_GAUGES = {
  switchboard_queued_jobs: ['queued', 'jobs queued, waiting for a worker'],
  switchboard_jobs_in_flight: ['inFlight', 'jobs held by a worker'],
  switchboard_waiting_workers: [
    'waitingWorkers',
    'parked takes: long polls, and WebSocket workers with room for a job',
  ],
  switchboard_websocket_workers: ['webSocketWorkers', 'WebSockets serving the service'],
} as const satisfies Record<string, readonly [keyof ServiceStats, string]>;

type Service = 'service';

/** Observations a histogram holds back before handing them to prom-client. */
export const DEFERRED_OBSERVATIONS = 1024;

/** One series of the call counter: its labels, and the calls counted under them. */
interface CallSeries {
  readonly labels: { service: string; outcome: string; code: string };
  count: number;
}

/**
 * A histogram of LATENCY_BUCKETS by service whose observations are written into
 * a fixed buffer on the hot path and handed to prom-client together: at each
 * scrape (the histogram's `collect`), or when the buffer fills. prom-client's
 * `observe` builds a label hash, a closure and a pair object per call; in one
 * loop at scrape time the same calls run warm, and the hot path only stores two
 * values.
 */
class DeferredHistogram {
  readonly #histogram: Histogram<Service>;
  readonly #labels = new Array<ServiceLabel>(DEFERRED_OBSERVATIONS);
  readonly #values = new Float64Array(DEFERRED_OBSERVATIONS);
  #length = 0;

  constructor(options: { name: string; help: string; registers: Registry[] }) {
    this.#histogram = new Histogram<Service>({
      ...options,
      labelNames: ['service'],
      buckets: LATENCY_BUCKETS,
      collect: () => this.#flush(),
    });
  }

  record(labels: ServiceLabel, value: number): void {
    this.#labels[this.#length] = labels;
    this.#values[this.#length] = value;
    this.#length++;
    if (this.#length === DEFERRED_OBSERVATIONS) this.#flush();
  }

  #flush(): void {
    for (let i = 0; i < this.#length; i++) {
      const labels = this.#labels[i];
      if (labels) this.#histogram.observe(labels, this.#values[i] ?? 0);
    }
    this.#length = 0;
  }
}

/**
 * The hub's Prometheus metrics (docs/metrics.md), in a registry of their own.
 * The hot path pays a few map lookups and stores per call: calls are counted
 * beside their label objects, latencies and queue waits wait in buffers
 * (`DeferredHistogram`), and prom-client gets them when Prometheus scrapes, as
 * it gets every gauge and the redelivery counter, read off the hub then.
 */
export class HubMetrics implements HubObserver {
  readonly registry = new Registry();
  readonly #labels: ServiceLabels;
  readonly #latency: DeferredHistogram;
  readonly #queueWait: DeferredHistogram;
  /**
   * The call counter's series, by service label, then outcome (and code): what
   * `switchboard_calls_total` reports at a scrape. Bounded: label objects are
   * bounded by ServiceLabels, outcomes and codes are fixed sets.
   */
  readonly #calls = new Map<ServiceLabel, Map<string, CallSeries>>();
  #rendering: Promise<{ contentType: string; body: string }> | undefined;
  #reading: Promise<{ status: HubStatus; services: ServiceDetail[] }> | undefined;

  /** `maxServices`: services with a label of their own; the rest are counted as `other`. */
  constructor(hub: Hub, { maxServices }: { maxServices: number }) {
    this.#labels = new ServiceLabels(maxServices);
    this.#labels.forget = (label) => this.#calls.delete(label);
    const registers = [this.registry];
    // Replicas each report their own series; the label tells them apart where
    // a scraper does not (global gauges read from Redis agree across replicas: take max, not sum).
    if (hub.storeKind === 'redis') this.registry.setDefaultLabels({ replica: hub.replica });
    collectDefaultMetrics({ register: this.registry });
    const calls = this.#calls;
    new Counter({
      name: 'switchboard_calls_total',
      help: 'calls ended, by outcome; code is the error code of a rejected call',
      labelNames: ['service', 'outcome', 'code'],
      registers,
      collect() {
        this.reset();
        for (const byOutcome of calls.values()) {
          for (const { labels, count } of byOutcome.values()) this.inc(labels, count);
        }
      },
    });
    this.#latency = new DeferredHistogram({
      name: 'switchboard_call_duration_seconds',
      help: 'time from a call’s arrival to its answer or error',
      registers,
    });
    this.#queueWait = new DeferredHistogram({
      name: 'switchboard_queue_wait_seconds',
      help: 'time a job waited in its queue before a worker took it (0 when one was waiting)',
      registers,
    });
    const labels = this.#labels;
    // One read of the status and of the services per scrape, shared by every collector.
    const services = async () => (await this.#read(hub)).status.services;
    const details = async () => (await this.#read(hub)).services;
    for (const [name, [figure, help]] of Object.entries(STATUS_GAUGES)) {
      new Gauge({
        name,
        help,
        labelNames: ['service'],
        registers,
        async collect() {
          this.reset();
          for (const s of await services()) this.inc(labels.of(s.service), s[figure]);
        },
      });
    }
    new Counter({
      name: 'switchboard_redeliveries_total',
      help: 'hand-outs lost to an expired lease, a retryable failure or a closed WebSocket',
      labelNames: ['service'],
      registers,
      async collect() {
        this.reset();
        for (const s of await services()) this.inc(labels.of(s.service), s.redelivered);
      },
    });
    const read = () => this.#read(hub);
    new Gauge({
      name: 'switchboard_webhook_dead_letters',
      help: 'dead letters kept by every webhook together: deliveries given up after their last attempt (docs/events.md)',
      registers,
      async collect() {
        this.set((await read()).status.webhooks.deadLetters);
      },
    });
    new Gauge({
      name: 'switchboard_webhooks',
      help: 'webhooks registered',
      registers,
      async collect() {
        this.set((await read()).status.webhooks.registered);
      },
    });
    new Gauge({
      name: 'switchboard_oldest_queued_seconds',
      help: 'how long the oldest queued job has waited (0 when none): what autoscalers scale on',
      labelNames: ['service'],
      registers,
      async collect() {
        this.reset();
        const oldest = new Map<string, number>();
        for (const s of await details()) {
          const { service } = labels.of(s.service);
          oldest.set(service, Math.max(oldest.get(service) ?? 0, s.oldestQueuedMs / 1000));
        }
        for (const [service, seconds] of oldest) this.set({ service }, seconds);
      },
    });
  }

  callEnded({ service, outcome, code, ms }: CallEnd): void {
    if (outcome === 'answered' || outcome === 'worker_error') this.#labels.earn(service);
    const label = this.#labels.of(service);
    this.#callSeries(label, outcome, code).count++;
    this.#latency.record(label, ms / 1000);
  }

  /** The call counter's series, made once per service, outcome and code: no object per call. */
  #callSeries(label: ServiceLabel, outcome: CallOutcome, code: string | undefined): CallSeries {
    let byOutcome = this.#calls.get(label);
    if (!byOutcome) {
      byOutcome = new Map();
      this.#calls.set(label, byOutcome);
    }
    // Refusals are the rare case that pays for a key string.
    const key = code === undefined ? outcome : `${outcome} ${code}`;
    let series = byOutcome.get(key);
    if (!series) {
      series = { labels: { service: label.service, outcome, code: code ?? '' }, count: 0 };
      byOutcome.set(key, series);
    }
    return series;
  }

  jobRetried(): void {
    // Counted by the store (`redelivered`), read at each scrape.
  }

  jobTaken(service: string, queuedMs: number): void {
    this.#labels.earn(service);
    this.#queueWait.record(this.#labels.of(service), queuedMs / 1000);
  }

  /**
   * The exposition, as `GET /metrics` serves it. Scrapes that arrive while one is
   * rendered share its text: twenty at once cost one rendering, not twenty.
   */
  text(): Promise<{ contentType: string; body: string }> {
    this.#rendering ??= this.registry
      .metrics()
      .then((body) => ({ contentType: this.registry.contentType, body }))
      .finally(() => {
        this.#rendering = undefined;
        this.#reading = undefined;
      });
    return this.#rendering;
  }

  /** The hub's figures for the scrape being rendered, read once for all its collectors. */
  #read(hub: Hub): Promise<{ status: HubStatus; services: ServiceDetail[] }> {
    this.#reading ??= Promise.all([hub.status(), hub.services()]).then(([status, services]) => ({
      status,
      services,
    }));
    return this.#reading;
  }
}
