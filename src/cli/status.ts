import { parseArgs } from 'node:util';
import { type HubStatus, SERVICE_FIGURES, type ServiceFigure } from '../protocol.js';
import { HubClient } from '../sdk/client.js';
import { ExitCode } from './exit-codes.js';
import { COMMON_OPTIONS, exitFor, hubOptions, parseOrExit, wholeNumber } from './options.js';
import { watchStopSignals } from './stop-signals.js';

export const STATUS_HELP = `Usage: switchboard status [--watch] [--interval ms] [--json] [--hub url] [--token t]

Shows each service's queue, jobs in flight, waiting workers and counters.
--watch redraws every --interval ms (default 1000) until Ctrl-C; --json prints
the hub's raw /status for scripts (with --watch, one JSON document a line).

Examples:
  switchboard status
  switchboard status --watch
  switchboard status --json | jq '.total.queued'
`;

/** Column headings; typed by protocol.ts's figures, so a new figure needs one here. */
const HEADINGS: Record<ServiceFigure, string> = {
  queued: 'QUEUED',
  inFlight: 'IN FLIGHT',
  waitingWorkers: 'WORKERS',
  webSocketWorkers: 'WS WORKERS',
  calls: 'CALLS',
  answered: 'ANSWERED',
  timedOut: 'TIMED OUT',
  cancelled: 'CANCELLED',
  rejected: 'REJECTED',
  redelivered: 'REDELIVERED',
  failed: 'FAILED',
};

export async function statusCommand(args: string[]): Promise<number> {
  const { values } = parseOrExit(() =>
    parseArgs({
      args,
      options: {
        ...COMMON_OPTIONS,
        watch: { type: 'boolean' },
        json: { type: 'boolean' },
        interval: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(STATUS_HELP);
    return ExitCode.Ok;
  }
  const client = new HubClient(hubOptions(values));
  const intervalMs = wholeNumber(values.interval, 'interval', 100) ?? 1000;
  // Ctrl-C is how a watch ends: exit 0, as a command that did its job.
  const stopped = values.watch ? watchStopSignals().first : undefined;
  let stop = false;
  void stopped?.then(() => {
    stop = true;
  });
  try {
    do {
      const status = await client.status();
      // --json --watch prints one JSON document a line, for scripts; the table
      // clears the screen between redraws, as watch(1) does.
      if (values.json) process.stdout.write(`${JSON.stringify(status)}\n`);
      else process.stdout.write(`${values.watch ? '\x1b[H\x1b[2J' : ''}${formatStatus(status)}`);
      if (values.watch) {
        await Promise.race([new Promise((resolve) => setTimeout(resolve, intervalMs)), stopped]);
      }
    } while (values.watch && !stop);
  } catch (error) {
    throw exitFor(error);
  }
  return ExitCode.Ok;
}

/** `1 call`, `2 calls`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A fixed-width table: one row per service, then the total. */
export function formatStatus(status: HubStatus): string {
  const rows: string[][] = [
    ['SERVICE', ...SERVICE_FIGURES.map((figure) => HEADINGS[figure])],
    ...status.services.map((s) => [s.service, ...SERVICE_FIGURES.map((f) => String(s[f]))]),
    ['(total)', ...SERVICE_FIGURES.map((figure) => String(status.total[figure]))],
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  '),
  );
  const state = status.ready ? 'ready' : 'not ready';
  // With a shared store the queues are every replica's, the parked figures this replica's.
  const where = status.store === 'redis' ? ` (replica ${status.replica}, Redis store)` : '';
  return `${lines.join('\n')}\n\nhub ${state}; parked${where}: ${count(status.parkedCalls, 'call')}, ${count(status.parkedPolls, 'poll')}\n`;
}
