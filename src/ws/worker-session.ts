import { type Grant, requireRole } from '../auth.js';
import type { HandOutHolder, Hub } from '../core/hub.js';
import { Cancel, linkAbort } from '../domain/cancel.js';
import type { Delivery } from '../domain/job.js';
import { encodeJob, encodeJobHead } from '../domain/job-json.js';
import { ErrorCode, HubError, isHubError } from '../errors.js';
import { log } from '../log.js';
import {
  answerHeaderProblem,
  answerHeadersOf,
  binaryFrame,
  CloseCode,
  MAX_BATCH_JOBS,
} from '../protocol.js';
import type { AnswerFrame, CreditFrame, FailFrame, HeartbeatFrame, ServeFrame } from './frames.js';

/** Where a session sends its frames: the socket, as the channel wraps it. */
export interface FrameSink {
  /** Sends a text frame, or with `binary` a binary one (switchboard.v2). */
  send(frame: string | Buffer, binary?: boolean): void;
  close(code: number, reason: string): void;
  /** Bytes sent that the socket has not yet written out. @default 0 */
  unsent?(): number;
}

/**
 * How a service's takes back off while the hub refuses them (`hub_full`,
 * `service_full`, `too_many_services`): the first retry after `firstMs`, each
 * next one twice as late up to `maxMs`; refused for `giveUpMs` in a row, the
 * socket is closed with 1013 so its client reconnects with its own backoff.
 */
export interface TakeRetry {
  readonly firstMs: number;
  readonly maxMs: number;
  readonly giveUpMs: number;
}

export const TAKE_RETRY: TakeRetry = { firstMs: 100, maxMs: 5000, giveUpMs: 30_000 };

/** Ended deliveries a socket remembers, so a late frame about one gets the hub's precise error. */
const MAX_ENDED = 1024;

/** A take that ends empty sooner than this did not wait at all. */
const EMPTY_TAKE_MS = 10;

/** The message a redelivered job's failure carries when its socket closed. */
const SOCKET_CLOSED = "the worker's WebSocket closed while it held the job";

/**
 * The worker side of one socket ([P-WS-WORKER]): it parks one take per service it
 * serves while the socket has credit (room for more jobs than it holds), pushes
 * each job as a frame, and takes answers, failures and heartbeats for the jobs it
 * holds. When the socket closes, every job it holds is handed on at once
 * (attempts permitting), not one lease later.
 */
export class WorkerSession implements HandOutHolder {
  readonly #hub: Hub;
  readonly #sink: FrameSink;
  readonly #maxCredit: number;
  readonly #maxBodyBytes: number;
  readonly #retry: TakeRetry;
  readonly #base64Always: boolean;
  readonly #binary: boolean;
  /** Aborted when the socket closes: ends the parked takes. */
  readonly #gone = new Cancel();
  /** The jobs this socket holds, by delivery id. */
  readonly #held = new Set<string>();
  /**
   * Deliveries this socket held that have ended, the latest `MAX_ENDED`: a frame
   * about one goes to the hub, whose answer is precise (`already_answered`,
   * `lease_lost`, ...), as over HTTP; a frame about any other id is `not_held`.
   */
  readonly #ended = new Set<string>();
  #services: readonly string[] = [];
  #worker: string | undefined;
  #base64 = false;
  #credit = 0;
  /** The peer has more unsent than the high water: push nothing more for now. */
  #pressed = false;
  /** Slots promised to takes parked now: credit is never exceeded, whatever arrives. */
  #reserved = 0;
  /** Aborted when credit drops below what is held and promised: the parked takes give their slots back. */
  #shrunk = new Cancel();
  /** Ends this socket's count in `webSocketWorkers`, one per service. */
  #released: (() => void)[] = [];
  /** Take loops waiting for room; woken when room may have opened (an answer, a failure, more credit, the close). */
  #waiting: (() => void)[] = [];

  constructor(
    hub: Hub,
    sink: FrameSink,
    limits: {
      maxCredit: number;
      maxBodyBytes: number;
      /** AstroHub's compatibility mode: every job's body as base64, as a poll gets it. */
      base64Always?: boolean;
      /** switchboard.v2: each job as a binary frame, its body as its bytes. */
      binary?: boolean;
      takeRetry?: TakeRetry;
    },
  ) {
    this.#hub = hub;
    this.#sink = sink;
    this.#maxCredit = limits.maxCredit;
    this.#maxBodyBytes = limits.maxBodyBytes;
    this.#retry = limits.takeRetry ?? TAKE_RETRY;
    this.#base64Always = limits.base64Always === true;
    this.#binary = limits.binary === true;
  }

  serve(frame: ServeFrame, grant: Grant | undefined): void {
    if (this.#services.length > 0)
      throw invalidFrame('a socket sends serve once; send credit to change its credit');
    // Every check before any change: a refused serve leaves the socket as it was.
    this.#checkCredit(frame.credit);
    if (grant) for (const service of frame.services) requireRole(grant, 'worker', service);
    for (const service of frame.services) this.#hub.checkTake({ service });
    this.#worker = frame.worker;
    this.#base64 = frame.base64 || this.#base64Always;
    this.#services = frame.services;
    this.#setCredit(frame.credit);
    this.#released = this.#services.map((service) => this.#hub.socketServes(service));
    log.info(
      { worker: this.#worker, services: this.#services, credit: frame.credit },
      'WebSocket worker connected',
    );
    for (const service of this.#services) void this.#takeLoop(service);
  }

  credit(frame: CreditFrame): void {
    if (this.#services.length === 0) throw invalidFrame('send serve before credit');
    this.#setCredit(frame.credit);
  }

  async answer(frame: AnswerFrame): Promise<void> {
    this.#checkHeld(frame.id);
    if (frame.body.byteLength > this.#maxBodyBytes) {
      throw new HubError(
        ErrorCode.PayloadTooLarge,
        `the answer's body is ${frame.body.byteLength} bytes; at most ${this.#maxBodyBytes} (HUB_MAX_BODY_BYTES)`,
      );
    }
    const problem = answerHeaderProblem(frame.contentType, frame.headers);
    if (problem !== undefined) throw new HubError(ErrorCode.InvalidHeader, problem);
    await this.#release(frame.id, () =>
      this.#hub.answer(frame.id, {
        status: frame.status,
        contentType: frame.contentType,
        headers: answerHeadersOf(frame.headers ?? {}),
        body: frame.body,
      }),
    );
  }

  async fail(frame: FailFrame): Promise<string> {
    this.#checkHeld(frame.id);
    let outcome = '';
    await this.#release(frame.id, async () => {
      outcome = await this.#hub.fail(frame.id, { message: frame.message, retry: frame.retry });
    });
    return outcome;
  }

  heartbeat(frame: HeartbeatFrame): Promise<number> {
    this.#checkHeld(frame.id);
    return this.#hub.heartbeat(frame.id);
  }

  /** The socket closed: stop taking, and hand on every job still held. */
  async close(): Promise<void> {
    this.#gone.abort();
    for (const release of this.#released) release();
    this.#wakeAll();
    const held = [...this.#held];
    for (const id of held) this.#hub.unwatchHandOut(id);
    this.#held.clear();
    if (this.#services.length > 0) {
      log.info(
        { worker: this.#worker, services: this.#services, handedOn: held.length },
        'WebSocket worker disconnected',
      );
    }
    for (const id of held) {
      try {
        await this.#hub.fail(id, { message: SOCKET_CLOSED, retry: true });
      } catch (error) {
        // Answered, expired or given up meanwhile: nothing left to hand on.
        if (!isHubError(error)) throw error;
      }
    }
  }

  #checkCredit(credit: number): void {
    if (credit > this.#maxCredit) {
      throw invalidFrame(
        `credit is at most ${this.#maxCredit} jobs per socket (HUB_WS_MAX_CREDIT)`,
      );
    }
  }

  #setCredit(credit: number): void {
    this.#checkCredit(credit);
    this.#credit = credit;
    if (this.#room() < 0) {
      this.#shrunk.abort();
      this.#shrunk = new Cancel();
    }
    this.#wakeAll();
  }

  /** Throws `not_held` for a job this socket neither holds nor held lately. */
  #checkHeld(id: string): void {
    if (!this.#held.has(id) && !this.#ended.has(id)) {
      throw new HubError(ErrorCode.NotHeld, `this socket holds no job '${id.slice(0, 40)}'`);
    }
  }

  /** Takes a delivery into the socket's hold, until it ends here or elsewhere. */
  #hold(id: string): void {
    this.#held.add(id);
    this.#hub.watchHandOut(id, this);
  }

  /** The hub's word that a delivery this socket holds ended, here or elsewhere. */
  handOutEnded(id: string): void {
    this.#let(id);
  }

  /** A held delivery ended (answered here or over HTTP, its lease lapsed...): its slot is free. */
  #let(id: string): void {
    if (!this.#held.delete(id)) return;
    this.#hub.unwatchHandOut(id);
    this.#ended.add(id);
    if (this.#ended.size > MAX_ENDED)
      this.#ended.delete(this.#ended.values().next().value as string);
    this.#wakeAll();
  }

  /** Ends the hold on a job once `settle` has run, whatever it did, and opens its slot. */
  async #release(id: string, settle: () => Promise<void>): Promise<void> {
    try {
      await settle();
      this.#let(id);
    } catch (error) {
      // Refused for good (late, lease lost, caller gone): the slot is free either way.
      if (isHubError(error) && error.code !== ErrorCode.InvalidStatus) this.#let(id);
      throw error;
    }
  }

  #wakeAll(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }

  /** While the peer is slow to read what it was sent, its takes wait, whatever its credit. */
  pressure(on: boolean): void {
    this.#pressed = on;
    if (!on) this.#wakeAll();
  }

  #room(): number {
    if (this.#pressed) return 0;
    return this.#credit - this.#held.size - this.#reserved;
  }

  /** Waits `ms`, or less if the socket closes meanwhile. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#gone.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#gone.addEventListener('abort', done);
    });
  }

  async #takeLoop(service: string): Promise<void> {
    /** When the takes of this service began to be refused; 0 while they are not. */
    let refusedSince = 0;
    let retryMs = this.#retry.firstMs;
    while (!this.#gone.aborted) {
      const room = this.#room();
      if (room <= 0) {
        await new Promise<void>((resolve) => this.#waiting.push(resolve));
        continue;
      }
      // One service takes what the credit allows; several take one job each per
      // take, so no service's parked take can promise away the others' room.
      const max = this.#services.length === 1 ? Math.min(room, MAX_BATCH_JOBS) : 1;
      this.#reserved += max;
      const parkedAt = Date.now();
      // Ended by the socket's close, or by a credit too small for what this take promised.
      const cut = new Cancel();
      const unlinks = [this.#gone, this.#shrunk].map((s) => linkAbort(s, cut, noReason));
      let deliveries: Delivery[];
      try {
        deliveries = await this.#hub.takeBatch(
          { service, workerId: this.#worker, fromSocket: true },
          max,
          cut,
        );
      } catch (error) {
        const refused = callError(error);
        // Shutting down: the channel closes the socket.
        if (refused.code === ErrorCode.ShuttingDown) {
          this.#sink.send(errorFrame(refused, { service }));
          return;
        }
        // Full: one error frame, then quieter and quieter retries, until it lasts too long.
        const now = Date.now();
        if (refusedSince === 0) {
          refusedSince = now;
          this.#sink.send(errorFrame(refused, { service }));
        } else if (now - refusedSince >= this.#retry.giveUpMs) {
          this.#sink.close(
            CloseCode.TryAgainLater,
            `the hub refused to take jobs of '${service}' for ${now - refusedSince} ms (${refused.code})`,
          );
          return;
        }
        await this.#pause(retryMs);
        retryMs = Math.min(retryMs * 2, this.#retry.maxMs);
        continue;
      } finally {
        this.#reserved -= max;
        for (const unlink of unlinks) unlink();
      }
      refusedSince = 0;
      retryMs = this.#retry.firstMs;
      for (const delivery of deliveries) {
        this.#hold(delivery.id);
        if (this.#binary) this.#sink.send(binaryJobFrame(delivery), true);
        else this.#sink.send(jobFrame(delivery, this.#base64));
      }
      // A take that ends empty at once (HUB_POLL_TIMEOUT_MS=0) must not become a spin.
      if (deliveries.length === 0 && !cut.aborted && Date.now() - parkedAt < EMPTY_TAKE_MS) {
        await this.#pause(this.#retry.firstMs);
      }
    }
  }
}

const noReason = () => undefined;

function callError(error: unknown): HubError {
  return isHubError(error)
    ? error
    : new HubError(ErrorCode.Internal, 'taking a job failed inside the hub', { cause: error });
}

function invalidFrame(message: string): HubError {
  return new HubError(ErrorCode.InvalidFrame, message);
}

/** `{"type":"job","job":{...}}`, the job exactly as a poll returns it. */
function jobFrame(delivery: Delivery, base64: boolean): Buffer {
  return Buffer.concat([JOB_FRAME_START, encodeJob(delivery, { base64 }), CLOSE_BRACE]);
}

/** A job frame of switchboard.v2: the job without its body, a newline, the body's bytes. */
function binaryJobFrame(delivery: Delivery): Buffer {
  return binaryFrame(`{"type":"job","job":${encodeJobHead(delivery)}}`, delivery.job.payload.body);
}

const JOB_FRAME_START = Buffer.from('{"type":"job","job":');
const CLOSE_BRACE = Buffer.from('}');

/** `{"type":"error", "id"?, "uid"?, "service"?, "code", "message"}`. */
export function errorFrame(
  error: HubError,
  about: { id?: string; uid?: string; sid?: string; service?: string } | undefined,
): string {
  return JSON.stringify({ type: 'error', ...about, code: error.code, message: error.message });
}
