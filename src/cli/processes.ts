import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config.js';
import { log } from '../log.js';
import { CliExit, ExitCode } from './exit-codes.js';
import { STOP_MESSAGE, type StopSignal, watchStopSignals } from './stop-signals.js';

/** How long a replica that died is left before another takes its place: no crash loop at full speed. */
const RESTART_DELAY_MS = 1000;

/**
 * `serve --processes N`: this process becomes the primary of N hub replicas
 * (node:cluster), which share its port; the kernel spreads connections over
 * them. They are replicas like any others, so they need the shared store.
 * A replica that dies is replaced; one that fails before it ever listens
 * (port taken, Redis refusing) ends them all with its exit code.
 * SIGINT or SIGTERM stops them gracefully; a second one at once.
 */
export async function serveProcesses(config: Config): Promise<number> {
  if (config.store !== 'redis') {
    throw new CliExit(
      ExitCode.Usage,
      `--processes ${config.processes} needs HUB_STORE=redis: the memory store lives in one process, so replicas could not share its queues`,
    );
  }
  const listening = new Set<Worker>();
  let stopping: StopSignal | undefined;
  let failedCode: number | undefined;
  const allExited = new Promise<void>((resolve) => {
    cluster.on('listening', (worker) => listening.add(worker));
    cluster.on('exit', (worker, code, signal) => {
      const everListened = listening.delete(worker);
      if (!stopping && failedCode === undefined) {
        if (everListened) {
          log.warn(
            { pid: worker.process.pid, code, signal },
            'switchboard: a hub process died; starting another',
          );
          setTimeout(() => !stopping && cluster.fork(), RESTART_DELAY_MS).unref();
        } else {
          // It never served: its siblings will fail the same way.
          failedCode = code || 1;
          stopAll('SIGTERM');
        }
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
    });
  });
  // A serving replica is told by message, not by signal: after a Ctrl-C the
  // terminal has signalled it already, and a second signal would mean "now".
  // One still starting has no handler yet, and a signal ends it as it should.
  const stopAll = (signal: StopSignal) => {
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (!worker) continue;
      if (listening.has(worker) && worker.isConnected()) worker.send(STOP_MESSAGE);
      else worker.process.kill(signal);
    }
  };
  for (let i = 0; i < config.processes; i++) cluster.fork();
  log.info(
    { processes: config.processes, port: config.port },
    `switchboard: ${config.processes} hub processes sharing port ${config.port} (Redis store)`,
  );
  const signals = watchStopSignals();
  void signals.first.then((signal) => {
    stopping = signal;
    log.info(`switchboard: ${signal} received, stopping ${config.processes} hub processes`);
    stopAll(signal);
  });
  void signals.again.then((signal) => {
    log.warn(`switchboard: second ${signal}, ending the hub processes now`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
  });
  await allExited;
  return failedCode ?? ExitCode.Ok;
}
