import type WebSocket from 'ws';
import { binaryFrame, CloseCode, splitBinaryFrame, type WireJob } from '../protocol.js';
import type { WorkerAnswer } from './answer.js';
import { Backoff, type BackoffOptions, pause } from './backoff.js';
import { HUB_UNREACHABLE, HubClientError, hubError, isHubClientError } from './errors.js';
import { Heartbeats } from './heartbeats.js';
import { closeRefusal, type HubFrame, openHubSocket } from './hub-socket.js';
import { ReceivedJob } from './received-job.js';

/** What a WebSocket service loop needs from its worker. */
export interface WsLoopHost {
  readonly url: string;
  readonly token: string | undefined;
  readonly workerId: string;
  /** The socket's credit: jobs handled at once for this service. */
  readonly concurrency: number;
  /** The transport was not chosen: where the hub serves no WebSocket, say so and use long polls. */
  readonly fallBack: boolean;
  /** Aborted by stop(): credit drops to 0, and the socket closes once the jobs in hand are answered. */
  readonly stopping: AbortSignal;
  readonly backoff: BackoffOptions;
  /** Runs the handler with these heartbeats; undefined when the job is no longer ours. */
  run(job: ReceivedJob, heartbeats: Heartbeats): Promise<WorkerAnswer | undefined>;
  reachable(ok: boolean, error?: unknown): void;
  /** The hub says this service is served: a call from now on finds this worker. */
  serving(service: string): void;
  refused(error: HubClientError): void;
  warn(message: string): void;
}

/** Error codes on a `serve` that no reconnect can fix. */
const FINAL_CODES = new Set(['unauthorized', 'forbidden']);

/**
 * Upgrade refusals that mean "no WebSocket channel here": a hub without `/ws`
 * (404, 405), or something in between that does not pass upgrades (400, 426).
 */
const NO_CHANNEL_STATUSES = new Set([400, 404, 405, 426]);

/** How a WebSocket loop ended: stopped, or it found no channel and long polls should serve instead. */
export type WsLoopEnd = 'stopped' | 'no-channel';

/**
 * One service's share of a worker over the WebSocket channel: one socket that
 * serves the service with `concurrency` credit; the hub pushes jobs, answers
 * go back as frames, heartbeats too. When the socket closes, the hub has
 * already handed this socket's jobs on, so their handlers are told to stop and
 * their answers are dropped: an answer only ever travels on the socket that
 * holds its job, so no job is answered twice. Then it reconnects, with jittered
 * backoff, and grants its credit again.
 */
export class WsServiceLoop {
  readonly #service: string;
  readonly #host: WsLoopHost;
  readonly #backoff: Backoff;
  readonly #heartbeats = new Heartbeats((id) => this.#beat(id));
  /** Heartbeats waiting for the hub's `lease` (kept) or `error` (lost). */
  readonly #beats = new Map<string, (kept: boolean) => void>();
  #socket: WebSocket | undefined;
  #running = 0;
  #idle: (() => void) | undefined;

  constructor(service: string, host: WsLoopHost) {
    this.#service = service;
    this.#host = host;
    this.#backoff = new Backoff(host.backoff);
  }

  /** Serves until the worker stops; resolves once every handler has finished. */
  async run(): Promise<WsLoopEnd> {
    const { stopping } = this.#host;
    while (!stopping.aborted) {
      let socket: WebSocket;
      try {
        socket = await openHubSocket(this.#host.url, this.#host.token);
      } catch (error) {
        if (isHubClientError(error) && FINAL_CODES.has(error.code)) {
          this.#host.refused(error);
          break;
        }
        if (
          this.#host.fallBack &&
          isHubClientError(error) &&
          NO_CHANNEL_STATUSES.has(error.status ?? 0)
        ) {
          return 'no-channel';
        }
        this.#host.reachable(false, error);
        await pause(this.#backoff.next(), stopping);
        continue;
      }
      const refusal = await this.#serve(socket);
      if (refusal) {
        this.#host.refused(refusal);
        break;
      }
      // Closed by the hub (restarting, or cut): a jittered pause, so a fleet does not return at once.
      await pause(this.#backoff.next(), stopping);
    }
    if (this.#running > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    this.#heartbeats.close();
    return 'stopped';
  }

  /** Serves on one socket; resolves when it has closed, with the refusal if the close was one. */
  #serve(socket: WebSocket): Promise<HubClientError | undefined> {
    this.#socket = socket;
    const { concurrency, workerId, stopping } = this.#host;
    socket.send(
      JSON.stringify({
        type: 'serve',
        services: [this.#service],
        credit: concurrency,
        worker: workerId,
      }),
    );
    const drain = () => {
      // No more jobs; close once the ones in hand are answered.
      if (socket.readyState === socket.OPEN) socket.send('{"type":"credit","credit":0}');
      this.#closeWhenIdle();
    };
    // Stopped while the socket was opening: drain at once.
    if (stopping.aborted) drain();
    else stopping.addEventListener('abort', drain, { once: true });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      // switchboard.v2: a job comes as a binary frame, its body's bytes after its head.
      const split = isBinary ? splitBinaryFrame(data) : undefined;
      const frame = JSON.parse(split ? split.head : String(data)) as HubFrame;
      this.#receive(socket, frame, split?.body);
    });
    return new Promise((resolve) => {
      socket.once('close', (code, reason) => {
        stopping.removeEventListener('abort', drain);
        this.#socket = undefined;
        // The hub has handed this socket's jobs on: their handlers must not answer.
        this.#heartbeats.loseAll();
        for (const settle of this.#beats.values()) settle(false);
        this.#beats.clear();
        const refusal = closeRefusal(code, reason);
        if (!stopping.aborted && !refusal) this.#host.reachable(false, closedError(code, reason));
        resolve(refusal);
      });
    });
  }

  #receive(socket: WebSocket, frame: HubFrame, body: Uint8Array | undefined): void {
    switch (frame.type) {
      case 'job':
        this.#start(socket, new ReceivedJob(frame.job as WireJob, body));
        return;
      case 'lease':
        this.#settleBeat(frame.id, true);
        return;
      case 'serving':
        // Only a socket the hub has accepted for serving counts as a reconnect: one
        // it opens and then closes must back off further, not start over each time.
        this.#backoff.reset();
        this.#host.reachable(true);
        this.#host.serving(this.#service);
        return;
      case 'error':
        this.#refusedFrame(socket, frame);
        return;
    }
  }

  #start(socket: WebSocket, job: ReceivedJob): void {
    this.#running++;
    void this.#host.run(job, this.#heartbeats).then((answer) => {
      this.#running--;
      // Only on the socket that holds the job: after a reconnect, it is another worker's.
      if (answer && socket === this.#socket)
        socket.send(answerFrame(job.id, answer), { binary: true });
      if (this.#running === 0) this.#idle?.();
      this.#closeWhenIdle();
    });
  }

  #closeWhenIdle(): void {
    if (this.#host.stopping.aborted && this.#running === 0) this.#socket?.close(1000, 'stopped');
  }

  #refusedFrame(socket: WebSocket, frame: HubFrame): void {
    const code = String(frame.code);
    const message = String(frame.message);
    if (typeof frame.id === 'string') {
      // A heartbeat's refusal means the job is no longer this worker's; any other, an answer's.
      if (this.#beats.has(frame.id)) this.#settleBeat(frame.id, false);
      else this.#host.warn(`switchboard worker: answer to job ${frame.id} refused: ${message}`);
      return;
    }
    if (FINAL_CODES.has(code)) {
      // Closed first, so the stop that follows sends no credit on a socket that serves nothing.
      socket.close(1000, 'refused');
      this.#host.refused(hubError(code === 'forbidden' ? 403 : 401, code, { error: { message } }));
      return;
    }
    // The hub is shutting down: the socket's close follows, and says so once.
    if (code === 'shutting_down') return;
    this.#host.warn(`switchboard worker: the hub refused a frame (${code}): ${message}`);
  }

  /** A heartbeat over the socket; false when the hub says the job is gone, or the socket closed. */
  #beat(id: string): Promise<boolean> {
    const socket = this.#socket;
    if (!socket) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#beats.get(id)?.(true);
      this.#beats.set(id, resolve);
      socket.send(JSON.stringify({ type: 'heartbeat', id }));
    });
  }

  #settleBeat(id: unknown, kept: boolean): void {
    if (typeof id !== 'string') return;
    this.#beats.get(id)?.(kept);
    this.#beats.delete(id);
  }
}

/** Why a socket the hub closed is gone, in words for a log line. */
function closedError(code: number, reason: Buffer): HubClientError {
  const why =
    code === CloseCode.GoingAway
      ? 'the hub is shutting down or restarting'
      : `the hub closed the WebSocket (${code}${reason.length > 0 ? `: ${String(reason)}` : ''})`;
  return new HubClientError(HUB_UNREACHABLE, why);
}

/** A binary `answer` frame (switchboard.v2): its head, a newline, the body's bytes. */
function answerFrame(id: string, answer: WorkerAnswer): Buffer {
  const { status, contentType, headers, body } = answer;
  const head: Record<string, unknown> = { type: 'answer', id, status };
  if (contentType !== undefined) head.contentType = contentType;
  if (Object.keys(headers).length > 0) head.headers = headers;
  return binaryFrame(JSON.stringify(head), body);
}
