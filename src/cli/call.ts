import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { HubClient } from '../sdk/client.js';
import { CliExit, ExitCode } from './exit-codes.js';
import {
  COMMON_OPTIONS,
  exitFor,
  hubOptions,
  parseOrExit,
  WS_OPTION,
  wholeNumber,
} from './options.js';

export const CALL_HELP = `Usage: switchboard call <service> [json | -] [--timeout ms] [--ws] [--hub url] [--token t]

Calls a service through the hub and prints the worker's answer body.
The body is a JSON argument, '-' for JSON on standard input, or nothing.
--ws sends the call as a frame on the hub's WebSocket channel instead of a POST
(the same answer; a check that the channel works through your proxies).

Exit codes: 0 answered 2xx, 1 the worker answered non-2xx (body still printed),
2 bad arguments, 3 a hub error (timeout, queue_full, ...), 4 hub unreachable,
5 the hub refused the token (401/403). The token comes from --token or, kept out
of ps output, SWITCHBOARD_TOKEN; the hub from --hub or SWITCHBOARD_URL.

Examples:
  switchboard call add '{"first": 1, "second": 2}'
  echo '{"first": 1, "second": 2}' | switchboard call add - --timeout 5000
  SWITCHBOARD_URL=http://hub:8080 switchboard call health
`;

export async function callCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOrExit(() =>
    parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...WS_OPTION, timeout: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(CALL_HELP);
    return ExitCode.Ok;
  }
  const [service, json, ...extra] = positionals;
  if (!service || extra.length > 0)
    throw new CliExit(
      ExitCode.Usage,
      'expected a service and at most one body (see switchboard call --help)',
    );
  const timeout = wholeNumber(values.timeout, 'timeout', 1);
  const body =
    json === undefined ? undefined : parseJson(json === '-' ? await text(process.stdin) : json);

  const client = new HubClient(hubOptions(values));
  try {
    const response = await client.call(service, body, timeout === undefined ? {} : { timeout });
    process.stdout.write(response.bytes);
    if (process.stdout.isTTY && response.bytes.at(-1) !== 0x0a) process.stdout.write('\n');
    if (response.ok) return ExitCode.Ok;
    process.stderr.write(`switchboard: the worker answered ${response.status}\n`);
    return ExitCode.WorkerError;
  } catch (error) {
    throw exitFor(error);
  } finally {
    await client.close();
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new CliExit(ExitCode.Usage, `the body is not valid JSON: ${(error as Error).message}`);
  }
}
