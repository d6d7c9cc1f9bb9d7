import { configHelp } from '../config.js';
import { CALL_HELP, callCommand } from './call.js';
import { CliExit, ExitCode } from './exit-codes.js';
import { serveCommand } from './serve.js';
import { STATUS_HELP, statusCommand } from './status.js';
import { PUB_HELP, PULL_HELP, pubCommand, pullCommand, SUB_HELP, subCommand } from './topics.js';
import { WORK_HELP, workCommand } from './work.js';

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: serveCommand,
  call: callCommand,
  work: workCommand,
  status: statusCommand,
  pub: pubCommand,
  sub: subCommand,
  pull: pullCommand,
};

const HELP = `Usage: switchboard <command> [options]

Commands:
  serve     run the hub (the same as npm start); serve --help lists its settings
  call      call a service and print the answer
  work      make any program a worker of a service
  status    show queues, workers and counters
  pub       publish a message to a topic
  sub       print each message of a topic as it comes, resuming after drops
  pull      take the oldest message of a topic's queue

Client commands find the hub with --hub, else SWITCHBOARD_URL, else http://127.0.0.1:8080.
'switchboard <command> --help' shows each command's options and examples.

${[configHelp(), CALL_HELP, WORK_HELP, STATUS_HELP, PUB_HELP, SUB_HELP, PULL_HELP].map((help) => help.split('\n', 1)[0]).join('\n')}
`;

/** Runs one CLI command and returns its exit code; errors print one line. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`switchboard: unknown command '${name}'\n\n${HELP}`);
    return ExitCode.Usage;
  }
  try {
    return await command(args);
  } catch (error) {
    if (!(error instanceof CliExit)) throw error;
    process.stderr.write(`switchboard: ${error.message}\n`);
    return error.code;
  }
}
