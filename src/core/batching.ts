import type { CancelSignal } from '../domain/cancel.js';
import type { Answer, Delivery } from '../domain/job.js';
import { type HubError, isHubError } from '../errors.js';
import { BATCH_COMPANION_BYTES } from '../protocol.js';
import type { JobStore } from '../store/job-store.js';
import type { DeliveryAnswer, LookMark, TakeInput } from './hub-types.js';
import { checkBatchSize } from './limits.js';
import { takerOf } from './taker.js';

/** What batching builds on: the hub's one-job take and answer, and its check of a take. */
export interface SingleJobs {
  take(input: TakeInput, signal?: CancelSignal, look?: LookMark): Promise<Delivery | undefined>;
  /** Answers, then takes for the same worker (one step of the store when it can); see `Hub#answerAndTake`. */
  answerAndTake(
    id: string,
    answer: Answer,
    next: TakeInput,
    signal?: CancelSignal,
    look?: LookMark,
  ): Promise<Delivery | undefined>;
  answer(id: string, answer: Answer): Promise<void>;
  checkTake(input: TakeInput): number;
  /** Work notices heard so far, of any service (`WorkWaiters#noticesHeard`). */
  readonly noticesHeard: number;
}

/** Resolves after the I/O callbacks of the current turn of the event loop have run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Many jobs per exchange ([P-BATCH], [P-ANSWER-NEXT]): batch takes, answer
 * batches, and an answer that carries the next poll. Built on the hub's one-job
 * operations, so each job in a batch follows exactly the rules of one alone; the
 * hub delegates to it and it never reaches into the hub.
 */
export class Batching {
  readonly #hub: SingleJobs;
  readonly #store: Pick<JobStore, 'claimQueued' | 'release'>;

  constructor(hub: SingleJobs, store: Pick<JobStore, 'claimQueued' | 'release'>) {
    this.#hub = hub;
    this.#store = store;
  }

  /**
   * Up to `max` jobs in one take: waits for the first as `take` does, then adds
   * what is queued. A busy service so fills the batch, and its worker makes one
   * exchange for many jobs instead of one each.
   */
  async takeBatch(input: TakeInput, max: number, signal?: CancelSignal): Promise<Delivery[]> {
    checkBatchSize(max);
    const look: LookMark = { heardAtLook: this.#hub.noticesHeard };
    return this.#withCompanions(
      input,
      max,
      signal,
      look,
      await this.#hub.take(input, signal, look),
    );
  }

  /** `first`, and what else is queued for it up to `max` jobs: the rest of a batch take. */
  async #withCompanions(
    input: TakeInput,
    max: number,
    signal: CancelSignal | undefined,
    look: LookMark,
    first: Delivery | undefined,
  ): Promise<Delivery[]> {
    if (!first) return [];
    if (max === 1) return [first];
    // The call that woke this take was read in the same turn of the event loop as
    // others; waiting out that turn lets them queue and join the batch.
    await nextTurn();
    // No notice since the look that found `first` began (a store gives one when
    // a take leaves jobs queued, too): nothing was queued since, and another
    // look would come back empty. With a networked store a look is a round
    // trip, a quarter of a lone call's. Never a job lost: a notice this misses
    // wakes another take, or is kept for the next.
    if (this.#hub.noticesHeard === look.heardAtLook && !signal?.aborted) return [first];
    const batch = [
      first,
      ...(await this.#store.claimQueued(
        input.service,
        { count: max - 1, bytes: BATCH_COMPANION_BYTES },
        takerOf(input),
      )),
    ];
    if (signal?.aborted) {
      // The worker left during the pause and never saw these jobs. Each goes back to
      // the head of the queue, so the last goes first and the order is kept.
      for (const delivery of batch.reverse()) await this.#store.release(delivery.id);
      return [];
    }
    return batch;
  }

  /**
   * Answers several jobs, each on its own, then with `next` takes a batch as
   * `takeBatch` does. `outcomes` follows the order of `answers`: `undefined` for an
   * answer handed over, the `HubError` of one refused. `next` is checked first, so
   * a malformed request changes nothing.
   */
  async answerBatch(
    answers: readonly DeliveryAnswer[],
    next?: { take: TakeInput; max: number },
    signal?: CancelSignal,
  ): Promise<{ outcomes: (HubError | undefined)[]; jobs: Delivery[] }> {
    if (next) {
      this.#hub.checkTake(next.take);
      checkBatchSize(next.max);
    }
    // All at once: each is its own transition, and a networked store gets them
    // without waiting for each other. The last carries the batch's first take, in the same
    // step of the store ([P-ANSWER-NEXT]): a round trip less per exchange.
    const look: LookMark = { heardAtLook: this.#hub.noticesHeard };
    let first: Delivery | undefined;
    const carriesTake = (i: number) => next !== undefined && i === answers.length - 1;
    const outcomes = await Promise.all(
      answers.map(({ id, answer }, i) =>
        (carriesTake(i) && next
          ? this.#hub.answerAndTake(id, answer, next.take, signal, look).then((taken) => {
              first = taken;
            })
          : this.#hub.answer(id, answer)
        ).then(
          () => undefined,
          (error: unknown) => {
            if (!isHubError(error)) throw error;
            return error;
          },
        ),
      ),
    );
    if (!next) return { outcomes, jobs: [] };
    // No answers, or the last was refused and took nothing: a take of its own.
    if (answers.length === 0 || outcomes.at(-1) !== undefined) {
      const jobs = await this.takeAfterAnswers(
        () => this.takeBatch(next.take, next.max, signal),
        [],
      );
      return { outcomes, jobs };
    }
    const jobs = await this.takeAfterAnswers(
      () => this.#withCompanions(next.take, next.max, signal, look, first),
      [],
    );
    return { outcomes, jobs };
  }

  /**
   * The answers are in; a take that cannot be served now (shutting down, hub
   * full) ends empty rather than failing the exchange and losing their outcomes.
   * The worker's next plain poll hears the error.
   */
  async takeAfterAnswers<T>(take: () => Promise<T>, empty: T): Promise<T> {
    try {
      return await take();
    } catch (error) {
      if (isHubError(error)) return empty;
      throw error;
    }
  }
}
