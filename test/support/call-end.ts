import type { CallEnd } from '../../src/core/observer.js';

/** An answered call of `service` that took `ms`, as the core tells its observers. */
export const answeredCall = (service: string, ms: number): CallEnd => ({
  service,
  ms,
  jobId: 'j',
  flowId: 'f',
  outcome: 'answered',
  code: undefined,
});
