import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * The hub's structured log (docs/logs.md). Until `startLogging` it logs errors
 * only, as JSON: a hub embedded in a program or a test says nothing unasked,
 * but a bug still shows. An ES module binding, so every importer sees the
 * logger `startLogging` makes.
 */
export let log: Logger = pino({ level: 'error' }, jsonLines());

/**
 * Starts the log at `level`: JSON lines on stdout, or pino-pretty's readable
 * lines when stdout is a terminal (a person is reading, not a log pipeline).
 */
export function startLogging(
  level: pino.LevelWithSilent,
  pretty = process.stdout.isTTY === true,
): Logger {
  log = pretty
    ? pino({
        level,
        transport: {
          target: 'pino-pretty',
          options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
        },
      })
    : pino({ level }, jsonLines());
  return log;
}

/**
 * Stdout, written at once: the hub logs little (never per request at info), and
 * a synchronous write keeps lines in order and loses none when the process exits.
 */
function jsonLines() {
  return pino.destination({ dest: 1, sync: true });
}
