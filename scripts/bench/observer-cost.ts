/**
 * What metrics cost each call, measured in process where nothing else runs: the
 * observers the hub calls when metrics are on (HubMetrics, LiveStats), on one
 * call's events (a call ended, a job taken). Steadier than the whole hub's
 * figures on a shared VM, whose rounds vary more than the effect.
 */
import type { Hub } from '../../src/core/hub.js';
import type { CallEnd } from '../../src/core/observer.js';
import { HubMetrics } from '../../src/telemetry/hub-metrics.js';
import { LiveStats } from '../../src/telemetry/live-stats.js';

/** Microseconds per call, the best of a few rounds of `calls` calls. */
export function observerCostUs(calls = 200_000, rounds = 5): number {
  const idle = { status: async () => ({ services: [] }), services: async () => [] };
  const metrics = new HubMetrics(idle as unknown as Hub, { maxServices: 100 });
  const live = new LiveStats({ maxServices: 100 });
  const services = Array.from({ length: 16 }, (_, i) => `service-${i}`);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      const call: CallEnd = {
        service: services[i % services.length] ?? 'add',
        jobId: 'job',
        flowId: 'flow',
        outcome: 'answered',
        code: undefined,
        ms: i % 50,
      };
      metrics.callEnded(call);
      live.callEnded(call);
      metrics.jobTaken(call.service, 0);
    }
    best = Math.min(best, Number(process.hrtime.bigint() - started) / calls / 1000);
  }
  return best;
}
