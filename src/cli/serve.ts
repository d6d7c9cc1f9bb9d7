import cluster from 'node:cluster';
import { ConfigError, configHelp, loadConfig } from '../config.js';
import { startServer } from '../http/server.js';
import { log, startLogging } from '../log.js';
import { CliExit, ExitCode } from './exit-codes.js';
import { serveProcesses } from './processes.js';
import { watchStopSignals } from './stop-signals.js';

/** A port that cannot be had is a setting to change, worth one line, not a stack trace. */
function listenFailure(
  error: unknown,
  config: { port: number; host: string },
): CliExit | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return undefined;
  const where = `port ${config.port} on ${config.host}`;
  return new CliExit(
    ExitCode.CannotListen,
    code === 'EADDRINUSE'
      ? `${where} is already in use: stop what holds it, or pick another port with --port or PORT`
      : `not allowed to listen on ${where}: ports below 1024 need privileges; pick another with --port or PORT`,
  );
}

/**
 * Runs the hub until SIGTERM or SIGINT, then shuts down gracefully and exits 0.
 * A second signal exits at once with 1.
 */
export async function serveCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(configHelp());
    return ExitCode.Ok;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ argv: args });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(ExitCode.Usage, error.message);
    throw error;
  }
  startLogging(config.logLevel);
  if (config.processes > 1 && cluster.isPrimary) return serveProcesses(config);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (error) {
    // Malformed token settings are found while the app is built.
    if (error instanceof ConfigError) throw new CliExit(ExitCode.Usage, error.message);
    throw listenFailure(error, config) ?? error;
  }
  // Before the line that says it listens: a script may signal as soon as it reads it.
  const signals = watchStopSignals();
  const auth = config.authFile || config.authTokens ? 'on' : 'off';
  const compat = config.compat ? `, compatibility ${config.compat}` : '';
  // The URL is followed by a space: scripts find it with /listening on (http:\/\/\S+)/.
  log.info(
    {
      url: server.url,
      store: config.store,
      auth,
      metrics: config.metricsMaxServices > 0,
      compat: config.compat || undefined,
      limits: {
        maxBodyBytes: config.maxBodyBytes,
        maxParked: config.maxParked,
        maxQueuedPerService: config.maxQueuedPerService,
        maxQueuedBytes: config.maxQueuedBytes,
        callTimeoutMs: config.callTimeoutMs,
        pollTimeoutMs: config.pollTimeoutMs,
        leaseMs: config.leaseMs,
      },
    },
    `switchboard: listening on ${server.url} (${config.store} store, auth ${auth}${compat})`,
  );
  const signal = await signals.first;
  log.info(
    { signal, graceMs: config.shutdownGraceMs },
    `switchboard: ${signal} received, shutting down`,
  );
  signals.again.then((second) => {
    log.warn({ signal: second }, `switchboard: second ${second}, exiting now`);
    process.exit(1);
  });
  await server.close();
  log.info('switchboard: stopped');
  return ExitCode.Ok;
}
