import type { CallEnd, HubObserver } from '../core/observer.js';
import { log } from '../log.js';
import type { RetryEvent } from '../store/job-store.js';

/**
 * The log lines about jobs (docs/logs.md), each with its job id and flow id,
 * never a body or a header. A call that ends other than answered is a debug
 * line (refusals with their code): under overload they come by the thousand,
 * and the metrics count them. A lost hand-out is an info line (warn when it
 * fails the call): rare, and the thread to pull when a worker misbehaves.
 */
export class JobLog implements HubObserver {
  callEnded({ service, jobId, flowId, outcome, code, ms }: CallEnd): void {
    if (outcome === 'answered' || !log.isLevelEnabled('debug')) return;
    log.debug({ service, jobId, flowId, outcome, code, ms }, `call ${outcome}`);
  }

  jobTaken(): void {}

  jobRetried({ service, jobId, flowId, attempt, reason, outcome }: RetryEvent): void {
    const fields = { service, jobId, flowId, attempt };
    if (outcome === 'retrying') log.info({ ...fields, reason }, 'job handed out again');
    else log.warn({ ...fields, reason }, 'job failed: no attempts or time left');
  }
}
