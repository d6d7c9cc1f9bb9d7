import { hostname } from 'node:os';
import { nanoid } from 'nanoid';
import { type Dispatcher, Pool } from 'undici';
import { Header, type WireBatchResult, type WireJob, WORKER_ID_PATTERN } from '../protocol.js';
import { failureAnswer, toWorkerAnswer, type WorkerAnswer } from './answer.js';
import { encodeAnswerBatch, type ReadyAnswer } from './answer-batch.js';
import { authorizationHeader } from './authorization.js';
import type { BackoffOptions } from './backoff.js';
import type { Transport } from './client.js';
import { HubClientError, hubError, unreachable } from './errors.js';
import { Heartbeats } from './heartbeats.js';
import { JobSignal } from './job-signal.js';
import type { ReceivedJob } from './received-job.js';
import { type LoopHost, ServiceLoop } from './service-loop.js';
import { type WsLoopHost, WsServiceLoop } from './ws-service-loop.js';

export interface JobContext {
  /**
   * Aborts at the job's deadline, when a heartbeat learns that the caller has gone
   * or the job was handed to another worker, and when the worker stops after its
   * grace period.
   */
  readonly signal: AbortSignal;
}

export type JobHandler = (job: ReceivedJob, context: JobContext) => unknown;

export interface WorkerLogger {
  info(message: string): void;
  warn(message: string): void;
  /** For the error that stops the worker; `warn` when absent. */
  error?(message: string): void;
}

export interface HubWorkerOptions {
  /** The hub's base URL. @example 'http://127.0.0.1:8080' */
  readonly url: string;
  /** A bearer token with the worker role, when the hub has auth on. */
  readonly token?: string | undefined;
  /** The service, or services, to take jobs for. */
  readonly services: string | readonly string[];
  /** Handles one job; see `toWorkerAnswer` for what it may return. A throw answers 500. */
  readonly handler: JobHandler;
  /** Handlers run at once, per service; each take asks for as many jobs as are free. @default 1 */
  readonly concurrency?: number;
  /** How long each long poll waits for a job, in milliseconds (long polls only: a WebSocket is pushed its jobs). @default the hub's `HUB_POLL_TIMEOUT_MS` (30000 unless set) */
  readonly pollTimeoutMs?: number;
  /**
   * `job.body` is the caller's exact bytes, over a WebSocket (binary frames) and
   * long polls (which then ask for base64 bodies). `false`: a long poll gets a
   * JSON body as a value, and `job.body` is that value re-serialized (a big
   * integer loses digits); a WebSocket still gets the bytes. @default true
   */
  readonly exactBodies?: boolean;
  /** Retry delays while the hub is unreachable. @default { initialMs: 100, maxMs: 5000 } */
  readonly backoff?: BackoffOptions;
  /** Where state changes are logged, once each; `false` for silence. @default console */
  readonly logger?: WorkerLogger | false;
  /** How this worker names itself in `GET /services`. @default `<hostname>-<pid>-<random>` */
  readonly id?: string;
  /**
   * `ws`: one WebSocket per service, jobs pushed as frames up to `concurrency`
   * at once, and a dropped connection's jobs handed on at once
   * (docs/websocket.md). `http`: long polls, answers in batches. Same semantics
   * either way. Unset: `ws`, the faster (docs/benchmarks.md), falling back to
   * `http` where the hub answers the upgrade with 400, 404, 405 or 426 (a hub
   * or a proxy without WebSockets).
   */
  readonly transport?: Transport;
}

const silent: WorkerLogger = { info() {}, warn() {}, error() {} };

/** The longest an answer batch waits for the next jobs before the worker falls back to a plain poll. */
const NEXT_WAIT_MS = 1000;

/**
 * Takes jobs from the hub (long polls, or the WebSocket channel with
 * `transport: 'ws'`) and answers them with a handler's results.
 *
 * @example
 * const worker = new HubWorker({
 *   url: 'http://127.0.0.1:8080',
 *   services: 'add',
 *   concurrency: 8,
 *   handler: (job) => {
 *     const { first, second } = job.json<{ first: number; second: number }>();
 *     return { answer: first + second };
 *   },
 * });
 * worker.start();
 * // later: await worker.stop();
 */
export class HubWorker {
  readonly #url: string;
  /** The hub's origin, for the connection pool, and any path prefix before the API. */
  readonly #base: { origin: string; path: string };
  /** Keep-alive connections to the hub: undici's request API, without fetch's web-stream overhead. */
  readonly #pool: Pool;
  readonly #services: readonly string[];
  readonly #handler: JobHandler;
  readonly #concurrency: number;
  /** Undefined: the hub's own default, so the SDK keeps no copy of it. */
  readonly #pollTimeoutMs: number | undefined;
  readonly #exactBodies: boolean;
  readonly #backoffOptions: BackoffOptions;
  readonly #log: WorkerLogger;
  readonly #transport: Transport;
  /** No transport was asked for: WebSocket, or long polls where the hub has no channel. */
  readonly #mayFallBack: boolean;
  readonly #token: string | undefined;
  /** Keeps the leases of the jobs handlers are running. */
  readonly #heartbeats = new Heartbeats((id) => this.#heartbeat(id));
  /** `Hub-Worker` (and the token) on every request that can take a job. */
  readonly #takeHeaders: Record<string, string>;
  readonly #heartbeatHeaders: Record<string, string>;
  /** Aborted by stop(): ends parked polls and backoff pauses. */
  readonly #stopping = new AbortController();
  /** Aborted when stop()'s grace period ends: handlers still running are told to give up. */
  readonly #graceOver = new AbortController();
  #loops: Promise<void>[] = [];
  #reachable = true;
  #stopped: Promise<void> | undefined;
  /** Why the worker stopped by itself: the hub refused its token. */
  #refusal: HubClientError | undefined;
  #settleClosed!: (error?: HubClientError) => void;
  /**
   * Resolves once the worker has stopped; rejects with a `HubClientError`
   * (`unauthorized` or `forbidden`) when it stopped because the hub refused its
   * token, which no retry can fix.
   */
  readonly closed: Promise<void> = new Promise((resolve, reject) => {
    this.#settleClosed = (error) => (error ? reject(error) : resolve());
  });
  /** Services not yet served; `ready` resolves when none are left. */
  readonly #unserved: Set<string>;
  #settleReady!: (error?: HubClientError) => void;
  /**
   * Resolves once every service is being served: over the WebSocket, when the
   * hub has said so (a call from then on finds this worker, rather than 503
   * `no_workers`); over long polls, when the hub has answered each service's
   * first poll (a short one). Rejects with the error of a refused token; settles
   * as `closed` does if the worker stops first.
   */
  readonly ready: Promise<void> = new Promise((resolve, reject) => {
    this.#settleReady = (error) => (error ? reject(error) : resolve());
  });

  constructor(options: HubWorkerOptions) {
    this.#url = options.url.replace(/\/+$/, '');
    const parsed = new URL(this.#url);
    this.#base = { origin: parsed.origin, path: parsed.pathname.replace(/\/+$/, '') };
    this.#pool = new Pool(this.#base.origin);
    this.#services =
      typeof options.services === 'string' ? [options.services] : [...options.services];
    this.#handler = options.handler;
    this.#concurrency = options.concurrency ?? 1;
    this.#pollTimeoutMs = options.pollTimeoutMs;
    this.#exactBodies = options.exactBodies ?? true;
    this.#backoffOptions = options.backoff ?? {};
    this.#log = options.logger === false ? silent : (options.logger ?? consoleLogger);
    this.#transport = options.transport ?? 'ws';
    this.#mayFallBack = options.transport === undefined;
    this.#token = options.token;
    this.#takeHeaders = {
      [Header.Worker]: options.id ?? `${hostname()}-${process.pid}-${nanoid(6)}`,
      ...authorizationHeader(options.token),
    };
    this.#heartbeatHeaders = authorizationHeader(options.token);
    // Rejecting is how `closed` and `ready` report a refused token; a caller that never reads them must not crash.
    this.closed.catch(() => {});
    this.ready.catch(() => {});
    this.#unserved = new Set(this.#services);
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new TypeError(
        `Expected \`concurrency\` to be a whole number >= 1, got ${options.concurrency}`,
      );
    }
    if (this.#services.length === 0) throw new TypeError('Expected at least one service');
    if (this.#transport !== 'http' && this.#transport !== 'ws') {
      throw new TypeError(`Expected \`transport\` to be 'http' or 'ws', got ${options.transport}`);
    }
    if (!WORKER_ID_PATTERN.test(this.#takeHeaders[Header.Worker] ?? '')) {
      throw new TypeError('Expected `id` to be 1 to 128 visible ASCII characters');
    }
  }

  /** Starts taking jobs for every service, `concurrency` at a time each. Returns at once. */
  start(): this {
    if (this.#loops.length > 0 || this.#stopping.signal.aborted) return this;
    this.#loops = this.#services.map((service) =>
      this.#transport === 'ws' ? this.#webSocketLoop(service) : this.#httpLoop(service),
    );
    return this;
  }

  /** `service` is served; `ready` resolves with the last. */
  #served(service: string): void {
    this.#unserved.delete(service);
    if (this.#unserved.size === 0) this.#settleReady();
  }

  #httpLoop(service: string): Promise<void> {
    // A parked poll says nothing until a job comes, so the first take is a short
    // poll (timeout 0): its answer says the hub has seen this worker (a call from
    // then on finds it) and has taken its token. Long polls follow.
    let first = true;
    const take = async (service: string, max: number) => {
      if (!first) return this.#take(service, max);
      const jobs = await this.#take(service, max, 0);
      first = false;
      this.#served(service);
      return jobs;
    };
    const host: LoopHost = {
      concurrency: this.#concurrency,
      stopping: this.#stopping.signal,
      graceOver: this.#graceOver.signal,
      backoff: this.#backoffOptions,
      take,
      send: (batch, next) => this.#send(batch, next),
      run: (job) => this.#run(job, this.#heartbeats),
      reachable: (ok, error) => this.#markReachable(ok, error),
      refused: (error) => this.#refused(error),
      warn: (message) => this.#log.warn(message),
    };
    return new ServiceLoop(service, host).run();
  }

  #webSocketLoop(service: string): Promise<void> {
    const host: WsLoopHost = {
      url: this.#url,
      token: this.#token,
      workerId: this.#takeHeaders[Header.Worker] as string,
      concurrency: this.#concurrency,
      fallBack: this.#mayFallBack,
      stopping: this.#stopping.signal,
      backoff: this.#backoffOptions,
      run: (job, heartbeats) => this.#run(job, heartbeats),
      reachable: (ok, error) => this.#markReachable(ok, error),
      serving: (served) => this.#served(served),
      refused: (error) => this.#refused(error),
      warn: (message) => this.#log.warn(message),
    };
    return new WsServiceLoop(service, host).run().then((end) => {
      if (end === 'stopped') return;
      this.#log.info(
        `switchboard worker: the hub at ${this.#url} has no WebSocket channel; taking ${service} jobs with long polls`,
      );
      return this.#httpLoop(service);
    });
  }

  /**
   * Graceful stop: no new polls (parked ones are closed), handlers in flight get
   * `graceMs` to finish and answer, then their signals abort. Resolves when every
   * answer has been sent or given up. Idempotent.
   */
  stop({ graceMs = 10_000 }: { graceMs?: number } = {}): Promise<void> {
    this.#stopped ??= this.#stop(graceMs);
    return this.#stopped;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopping.abort();
    const all = Promise.allSettled(this.#loops);
    const grace = setTimeout(() => this.#graceOver.abort(), graceMs);
    await all;
    clearTimeout(grace);
    this.#heartbeats.close();
    await this.#pool.close();
    this.#settleReady(this.#refusal);
    this.#settleClosed(this.#refusal);
  }

  /** The hub refused the token: say so once, plainly, and stop; retrying cannot help. */
  #refused(error: HubClientError): void {
    if (this.#refusal) return;
    this.#refusal = error;
    const log = this.#log.error ?? this.#log.warn;
    log.call(
      this.#log,
      `switchboard worker: the hub at ${this.#url} refused this worker (${error.status} ${error.code}: ${error.message}); stopping, since retrying cannot fix a token. Check the worker's token and its services.`,
    );
    void this.stop({ graceMs: 0 });
  }

  /** A long poll for up to `max` jobs. stop() cuts it while it waits. */
  async #take(service: string, max: number, timeoutMs = this.#pollTimeoutMs): Promise<WireJob[]> {
    const query = this.#takeQuery(timeoutMs, max);
    const path = `${this.#base.path}/service/${encodeURIComponent(service)}/jobs?${query}`;
    // Its own signal, cut by stop() only until the headers are in (below); one
    // listener on the worker's stop signal per poll, removed when the poll ends.
    const controller = new AbortController();
    const stopping = this.#stopping.signal;
    const cut = () => controller.abort('worker stopping');
    if (stopping.aborted) cut();
    else stopping.addEventListener('abort', cut, { once: true });
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#pool.request({
        method: 'GET',
        path,
        headers: this.#takeHeaders,
        signal: controller.signal,
      });
    } catch (error) {
      throw unreachable(this.#url, error);
    } finally {
      stopping.removeEventListener('abort', cut);
    }
    // Once the headers are in, the jobs are read and handled even if stop() comes now.
    if (response.statusCode === 204) {
      await response.body.dump();
      return [];
    }
    if (response.statusCode !== 200) throw await errorFrom(response);
    return (await response.body.json()) as WireJob[];
  }

  /**
   * Sends an answer batch; with `next`, it also takes the next jobs, waiting at most
   * NEXT_WAIT_MS: short, because stop() cannot cut a request that carries answers.
   */
  async #send(
    batch: readonly ReadyAnswer[],
    next: { service: string; max: number } | undefined,
  ): Promise<WireBatchResult> {
    const query = next
      ? `?next=${encodeURIComponent(next.service)}&${this.#takeQuery(Math.min(this.#pollTimeoutMs ?? NEXT_WAIT_MS, NEXT_WAIT_MS), next.max)}`
      : '';
    const { contentType, body } = encodeAnswerBatch(batch);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#pool.request({
        method: 'POST',
        path: `${this.#base.path}/jobs${query}`,
        headers: { ...this.#takeHeaders, 'content-type': contentType },
        body,
      });
    } catch (error) {
      throw unreachable(this.#url, error);
    }
    if (response.statusCode !== 200) throw await errorFrom(response);
    return (await response.body.json()) as WireBatchResult;
  }

  /** The query of a take: its wait, its size, and base64 bodies for `exactBodies` workers. */
  #takeQuery(timeoutMs: number | undefined, max: number): string {
    const wait = timeoutMs === undefined ? '' : `timeout=${timeoutMs}&`;
    return `${wait}max=${max}${this.#exactBodies ? '&encoding=base64' : ''}`;
  }

  /**
   * Runs the handler under the job's deadline, heartbeats and the grace period.
   * Resolves undefined when a heartbeat learned the job is no longer this worker's:
   * nobody takes that answer any more, and the hub would only refuse it.
   */
  async #run(job: ReceivedJob, heartbeats: Heartbeats): Promise<WorkerAnswer | undefined> {
    const jobSignal = new JobSignal(job.remainingMs, this.#graceOver.signal);
    const running = heartbeats.start(job.id, job.leaseMs, jobSignal);
    const context: JobContext = {
      get signal() {
        return jobSignal.signal;
      },
    };
    let answer: WorkerAnswer;
    try {
      answer = await toWorkerAnswer(await this.#handler(job, context));
    } catch (error) {
      answer = failureAnswer(error);
    } finally {
      jobSignal.dispose();
      heartbeats.end(running);
    }
    return running.lost ? undefined : answer;
  }

  /**
   * Extends a job's lease. Resolves false when the hub says the job is no longer
   * this worker's (caller gone, lease lost, unknown); a hub it cannot reach counts
   * as true, and the next heartbeat tries again.
   */
  async #heartbeat(id: string): Promise<boolean> {
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: `${this.#base.path}/jobs/${id}/heartbeat`,
        headers: this.#heartbeatHeaders,
      });
      await response.body.dump();
      return response.statusCode === 200 || response.statusCode >= 500;
    } catch {
      return true;
    }
  }

  /** Logs only when reachability changes, not once per failed retry. */
  #markReachable(reachable: boolean, error?: unknown): void {
    if (reachable === this.#reachable) return;
    this.#reachable = reachable;
    if (reachable) {
      this.#log.info(`switchboard worker: reconnected to ${this.#url}`);
    } else {
      const reason = error instanceof HubClientError ? error.message : String(error);
      this.#log.warn(`switchboard worker: hub unavailable, retrying with backoff: ${reason}`);
    }
  }
}

const consoleLogger: WorkerLogger = {
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

/** Reads a hub error response into a HubClientError. */
async function errorFrom(response: Dispatcher.ResponseData): Promise<HubClientError> {
  const code = response.headers[Header.Error];
  const body = await response.body.json().catch(() => undefined);
  return hubError(response.statusCode, typeof code === 'string' ? code : undefined, body);
}
