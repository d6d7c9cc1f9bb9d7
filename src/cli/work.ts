import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ReceivedJob } from '../sdk/received-job.js';
import { HubWorker } from '../sdk/worker.js';
import { CliExit, ExitCode } from './exit-codes.js';
import {
  COMMON_OPTIONS,
  exitFor,
  HTTP_OPTION,
  hubOptions,
  parseOrExit,
  WS_OPTION,
  wholeNumber,
} from './options.js';
import { type CommandResult, runCommand } from './run-command.js';
import { watchStopSignals } from './stop-signals.js';

export const WORK_HELP = `Usage: switchboard work <service> [--concurrency N] [--content-type type] [--ws | --http] [--hub url] [--token t] -- <command> [args...]

Makes any program a worker: for each job, runs <command> with the request body on
standard input, and answers with what it prints. Exit 0 answers 200; any other
exit answers 500 with the tail of its standard error as the message. The command
also gets SWITCHBOARD_JOB_ID, SWITCHBOARD_SERVICE, SWITCHBOARD_METHOD,
SWITCHBOARD_PATH, SWITCHBOARD_QUERY, SWITCHBOARD_CONTENT_TYPE and
SWITCHBOARD_DEADLINE (epoch ms) in its environment, and SIGTERM at the deadline.

The answer's Content-Type is --content-type, or application/json when the output
is valid JSON, else text/plain. Runs until SIGINT or SIGTERM, then finishes the
jobs in hand and exits 0. Exits 5 at once if the hub refuses the token (from
--token or, kept out of ps output, SWITCHBOARD_TOKEN).

Jobs come over one WebSocket: pushed as they arrive, and if the connection
drops, the jobs in hand go to another worker at once instead of a lease later
(their commands are stopped). Where the hub refuses the upgrade (a proxy
without WebSockets), the worker says so and long-polls instead. --ws insists
on the WebSocket; --http always long-polls.

Examples:
  switchboard work add -- jq '{answer: (.first + .second)}'
  switchboard work upper --concurrency 4 -- tr a-z A-Z
`;

export async function workCommand(args: string[]): Promise<number> {
  const split = args.indexOf('--');
  const own = split === -1 ? args : args.slice(0, split);
  const [command, ...commandArgs] = split === -1 ? [] : args.slice(split + 1);
  const { values, positionals } = parseOrExit(() =>
    parseArgs({
      args: own,
      options: {
        ...COMMON_OPTIONS,
        ...WS_OPTION,
        ...HTTP_OPTION,
        concurrency: { type: 'string' },
        'content-type': { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(WORK_HELP);
    return ExitCode.Ok;
  }
  const [service, ...extra] = positionals;
  if (!service || extra.length > 0 || !command) {
    throw new CliExit(
      ExitCode.Usage,
      'expected a service, then -- and a command (see switchboard work --help)',
    );
  }
  const concurrency = wholeNumber(values.concurrency, 'concurrency', 1) ?? 1;
  const fixedType = values['content-type'];
  checkProgram(command);
  // A second Ctrl-C: stop waiting for the jobs in hand, end their commands, exit.
  const forceStop = new AbortController();

  const worker = new HubWorker({
    ...hubOptions(values),
    services: service,
    concurrency,
    exactBodies: true,
    // No `error`: the one error a worker logs is a refused token, and `work` says
    // that itself as it exits 5, in one line.
    logger: { info: (m) => console.error(m), warn: (m) => console.error(m), error: () => {} },
    handler: async (job, { signal }) => {
      let result: CommandResult;
      try {
        result = await runCommand(command, commandArgs, {
          input: job.body,
          env: commandEnv(job),
          signal: AbortSignal.any([signal, forceStop.signal]),
        });
      } catch (error) {
        console.error(
          `switchboard work: job ${job.id}: cannot run ${command}: ${(error as Error).message}`,
        );
        throw error;
      }
      if (result.exitCode !== 0) {
        const how = result.signal
          ? `was killed by ${result.signal}`
          : `exited with ${result.exitCode}`;
        // The caller hears of it in its 500; whoever runs the worker, here.
        const firstLine = result.stderrTail.split('\n', 1)[0] ?? '';
        console.error(
          `switchboard work: job ${job.id}: ${command} ${how}${firstLine ? `: ${firstLine}` : ''}`,
        );
        throw new Error(`${command} ${how}${result.stderrTail ? `: ${result.stderrTail}` : ''}`);
      }
      const contentType =
        fixedType ?? (isJson(result.stdout) ? 'application/json' : 'text/plain; charset=utf-8');
      return new Response(result.stdout, { headers: { 'content-type': contentType } });
    },
  });
  worker.start();
  // Said once the hub has the worker, so a call made after this line finds it.
  worker.ready.then(
    () =>
      console.error(
        `switchboard work: serving '${service}' with ${command} (concurrency ${concurrency})`,
      ),
    () => {},
  );
  const signals = watchStopSignals();
  // The worker stops by itself only when the hub refuses its token: exit 5 then.
  const refused = worker.closed.then(
    () => new Promise<never>(() => {}),
    (error: unknown) => error,
  );
  const ended = await Promise.race([signals.first, refused]);
  if (typeof ended !== 'string') throw exitFor(ended);
  console.error(
    `switchboard work: ${ended}, finishing the jobs in hand (${ended} again to stop them now)`,
  );
  const again = signals.again.then((signal) => {
    console.error(`switchboard work: second ${signal}, ending the jobs in hand`);
    forceStop.abort();
    return ExitCode.Interrupted;
  });
  return Promise.race([worker.stop().then(() => ExitCode.Ok), again]);
}

/**
 * Checks at start that the program can run at all, so a typo fails in the
 * terminal that started the worker rather than in every caller's 500.
 */
function checkProgram(command: string): void {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', command));
  const found = candidates.find((path) => statSync(path, { throwIfNoEntry: false })?.isFile());
  if (found === undefined) {
    throw new CliExit(
      ExitCode.Usage,
      command.includes('/')
        ? `cannot run ${command}: no such file`
        : `cannot run ${command}: not found on PATH`,
    );
  }
  try {
    accessSync(found, constants.X_OK);
  } catch {
    throw new CliExit(
      ExitCode.Usage,
      `cannot run ${found}: it is not executable (chmod +x ${found})`,
    );
  }
}

/** The command inherits this process's environment, plus the job's facts. */
function commandEnv(job: ReceivedJob): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SWITCHBOARD_JOB_ID: job.id,
    SWITCHBOARD_SERVICE: job.service,
    SWITCHBOARD_METHOD: job.method,
    SWITCHBOARD_PATH: job.path,
    SWITCHBOARD_QUERY: job.query,
    SWITCHBOARD_CONTENT_TYPE: job.contentType ?? '',
    SWITCHBOARD_DEADLINE: String(job.deadline),
  };
}

function isJson(output: Buffer): boolean {
  if (output.byteLength === 0) return false;
  try {
    JSON.parse(output.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
