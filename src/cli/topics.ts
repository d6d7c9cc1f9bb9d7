import { buffer } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { HubClient } from '../sdk/client.js';
import type { SubscribeFrom, TopicMessage } from '../sdk/topics.js';
import { CliExit, ExitCode } from './exit-codes.js';
import { COMMON_OPTIONS, exitFor, hubOptions, parseOrExit, wholeNumber } from './options.js';

const TOPIC_NOTES = `The token comes from --token or SWITCHBOARD_TOKEN; the hub from --hub or
SWITCHBOARD_URL. Exit codes: 0 done, 2 bad arguments, 3 a hub error, 4 hub
unreachable, 5 the hub refused the token. Topics: docs/events.md.`;

export const PUB_HELP = `Usage: switchboard pub <topic> [message | -] [--hub url] [--token t]

Publishes a message to a topic and prints its id. The message is the argument,
'-' (or nothing) for standard input, as bytes.

${TOPIC_NOTES}

Examples:
  switchboard pub users '{"id": 42, "event": "created"}'
  tar c photos | switchboard pub backups -
`;

export const PULL_HELP = `Usage: switchboard pull <topic> [--wait ms] [--hub url] [--token t]

Takes the topic queue's oldest message (each message goes to one puller) and
prints its body; exit code 1 when there is none (after --wait, if given).

${TOPIC_NOTES}

Examples:
  switchboard pull jobs
  while switchboard pull jobs --wait 30000 > job.json; do ./handle job.json; done
`;

export const SUB_HELP = `Usage: switchboard sub <topic> [--from id | --oldest] [--hub url] [--token t]

Prints each message published to a topic, one line each (its body), until
interrupted. After a dropped connection it reconnects and resumes after the last
message printed: no gap, no duplicate. --from <id> starts after that id,
--oldest with the oldest message kept; by default, with what comes next.
While the hub cannot be reached it keeps trying, as tail -F does.
--json prints each message as {"id", "publishedAt", "body"} instead (the body
as text, or base64 when it is not UTF-8).

${TOPIC_NOTES}

Examples:
  switchboard sub users
  switchboard sub users --from 41 --json | jq .body
`;

export async function pubCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOrExit(() =>
    parseArgs({ args, options: COMMON_OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help) return help(PUB_HELP);
  const [topic, message, ...extra] = positionals;
  if (!topic || extra.length > 0) {
    throw new CliExit(
      ExitCode.Usage,
      'expected a topic and at most one message (see switchboard pub --help)',
    );
  }
  const body =
    message === undefined || message === '-' ? await buffer(process.stdin) : Buffer.from(message);
  const client = new HubClient(hubOptions(values));
  try {
    process.stdout.write(`${await client.publish(topic, new Uint8Array(body))}\n`);
    return ExitCode.Ok;
  } catch (error) {
    throw exitFor(error);
  }
}

export async function pullCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOrExit(() =>
    parseArgs({
      args,
      options: { ...COMMON_OPTIONS, wait: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help) return help(PULL_HELP);
  const [topic, ...extra] = positionals;
  if (!topic || extra.length > 0) {
    throw new CliExit(ExitCode.Usage, 'expected one topic (see switchboard pull --help)');
  }
  const waitMs = wholeNumber(values.wait, 'wait', 0);
  const client = new HubClient(hubOptions(values));
  try {
    const message = await client.pull(topic, waitMs === undefined ? {} : { waitMs });
    if (!message) {
      process.stderr.write(`switchboard: no messages enqueued for topic: ${topic}\n`);
      return ExitCode.WorkerError;
    }
    printBody(message);
    return ExitCode.Ok;
  } catch (error) {
    throw exitFor(error);
  }
}

export async function subCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOrExit(() =>
    parseArgs({
      args,
      options: {
        ...COMMON_OPTIONS,
        from: { type: 'string' },
        oldest: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help) return help(SUB_HELP);
  const [topic, ...extra] = positionals;
  if (!topic || extra.length > 0) {
    throw new CliExit(ExitCode.Usage, 'expected one topic (see switchboard sub --help)');
  }
  const fromId = wholeNumber(values.from, 'from', 0);
  const from: SubscribeFrom = values.oldest ? 'oldest' : (fromId ?? 'new');
  const client = new HubClient(hubOptions(values));
  const stop = new AbortController();
  const interrupted = () => stop.abort();
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const print = values.json ? printJson : printLine;
  try {
    await client.subscribe(topic, print, { from, signal: stop.signal }).done;
    return ExitCode.Ok;
  } catch (error) {
    throw exitFor(error);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

function help(text: string): number {
  process.stdout.write(text);
  return ExitCode.Ok;
}

function printBody(message: TopicMessage): void {
  process.stdout.write(message.body);
  if (process.stdout.isTTY && message.body.at(-1) !== 0x0a) process.stdout.write('\n');
}

/** One message a line: its body, with a newline unless it ends with one. */
function printLine(message: TopicMessage): Promise<void> {
  const ends = message.body.at(-1) === 0x0a;
  return write(ends ? message.body : Buffer.concat([message.body, NEWLINE]));
}

function printJson(message: TopicMessage): Promise<void> {
  let body: string;
  let encoding: string | undefined;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(message.body);
  } catch {
    body = Buffer.from(message.body).toString('base64');
    encoding = 'base64';
  }
  const line = JSON.stringify({ id: message.id, publishedAt: message.publishedAt, body, encoding });
  return write(Buffer.from(`${line}\n`));
}

const NEWLINE = Buffer.from('\n');

/** Writes and waits for the pipe to take it: a slow reader slows the subscription, which resumes if cut. */
function write(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolve())),
  );
}
