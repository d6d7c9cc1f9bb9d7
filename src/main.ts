#!/usr/bin/env node
import { ConfigError, configHelp, loadConfig } from './config.js';
import { startServer } from './http/server.js';

/** Runs the hub until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(configHelp());
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`switchboard: ${error.message}`);
    process.exit(2);
  }

  const server = await startServer(config);
  console.log(`switchboard: listening on ${server.url}`);

  const shutdown = async (signal: string) => {
    console.log(
      `switchboard: ${signal} received, shutting down (grace ${config.shutdownGraceMs} ms)`,
    );
    process.once(signal, () => {
      console.error(`switchboard: second ${signal}, exiting now`);
      process.exit(1);
    });
    await server.close();
    console.log('switchboard: stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('switchboard: failed to start:', error);
  process.exit(1);
});
