import { runCli } from './index.js';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('switchboard: unexpected failure:', error);
    process.exit(1);
  },
);
