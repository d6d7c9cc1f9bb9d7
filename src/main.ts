#!/usr/bin/env node
// `npm start`: the hub itself, the same as `switchboard serve`.
import { runCli } from './cli/index.js';

runCli(['serve', ...process.argv.slice(2)]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('switchboard: failed to start:', error);
    process.exit(1);
  },
);
