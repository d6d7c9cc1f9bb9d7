import { ConfigError, configHelp, loadConfig } from '../config.js';
import { startServer } from '../http/server.js';
import { CliExit, ExitCode } from './exit-codes.js';

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
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    config = loadConfig({ argv: args });
    server = await startServer(config);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(ExitCode.Usage, error.message);
    throw error;
  }
  const compat = config.compat ? ` (compatibility: ${config.compat})` : '';
  console.log(`switchboard: listening on ${server.url}${compat}`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  console.log(
    `switchboard: ${signal} received, shutting down (grace ${config.shutdownGraceMs} ms)`,
  );
  process.once(signal, () => {
    console.error(`switchboard: second ${signal}, exiting now`);
    process.exit(1);
  });
  await server.close();
  console.log('switchboard: stopped');
  return ExitCode.Ok;
}
