import type { Answer, Job, ServiceStats } from '../core/types.js';

/** Why a caller stopped waiting; counted per service (shutdown counts as rejected). */
export type GiveUpReason = 'timeout' | 'cancelled' | 'shutdown';

/** Where a job was when its caller gave up. */
export type GiveUpOutcome =
  /** It was still queued and has been withdrawn: no worker will ever see it. */
  | 'withdrawn'
  /** A worker holds it; that worker's answer will now get `caller_gone`. */
  | 'abandoned'
  /** The answer arrived first: the caller should take it after all. */
  | 'answered';

/** Handed back by `enqueue`: the caller's side of the job. */
export interface Ticket {
  /** Settles once, with the worker's answer. Never rejects for a timeout: the core owns deadlines. */
  readonly answer: Promise<Answer>;
}

/**
 * Where jobs live between a caller and a worker. The core owns validation,
 * deadlines and shutdown; a store owns the queues, the parked workers and the
 * state of each job, and must keep these promises (test/store/contract.ts checks
 * every one of them against every store):
 *
 * - FIFO per service: jobs are claimed in the order they were enqueued, and
 *   parked claims are served in the order they started waiting.
 * - Direct hand-off: `enqueue` gives the job to the longest-waiting claim at
 *   once, without timers or polling.
 * - A claim whose signal has aborted is never handed a job.
 * - Each job is answered at most once; the state of a finished job is
 *   remembered for a bounded time and count, so late answers get a precise
 *   error instead of `unknown_job`.
 * - Memory is bounded: a service with nothing queued, in flight or waiting
 *   keeps only its counters, and at most `maxServices` services are tracked.
 */
export interface JobStore {
  /**
   * Adds a job at the tail of its service's queue, or hands it to the claim that has
   * waited longest. Throws `HubError` `queue_full` or `too_many_services`.
   */
  enqueue(job: Job): Promise<Ticket>;

  /**
   * Takes the oldest queued job of `service`, waiting for one to arrive. Resolves
   * `undefined` once `signal` aborts; a job is never handed to an aborted claim.
   */
  claim(service: string, signal: AbortSignal): Promise<Job | undefined>;

  /**
   * Puts an in-flight job whose worker never received it back at the head of its
   * queue (or straight to a waiting claim). Returns false if the job is no longer in flight.
   */
  release(id: string): Promise<boolean>;

  /**
   * Delivers a worker's answer to the job's caller. Throws `HubError` `unknown_job`,
   * `already_answered` or `caller_gone`.
   */
  answer(id: string, answer: Answer): Promise<void>;

  /** The caller stopped waiting: withdraw the job if queued, otherwise mark it abandoned. */
  giveUp(id: string, reason: GiveUpReason): Promise<GiveUpOutcome>;

  /**
   * Withdraws the job only if it is still queued (shutdown uses this to turn queued
   * jobs away while letting in-flight ones finish). Returns true if it was withdrawn.
   */
  withdrawQueued(id: string): Promise<boolean>;

  /** Figures for every tracked service, in the order the services were first seen. */
  stats(): Promise<ServiceStats[]>;
}
