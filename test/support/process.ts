import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface HubProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  stdout(): string;
}

/** Runs `src/main.ts` the way `npm start` does; PORT=0 unless `env` says otherwise. */
export function runMain(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Starts a hub process and resolves once it prints the address it listens on. */
export async function startHubProcess(env: Record<string, string> = {}): Promise<HubProcess> {
  const run = runMain([], env);
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(run.stdout());
      if (match?.[1]) {
        run.child.stdout?.off('data', onData);
        resolve(match[1]);
      }
    };
    run.child.stdout?.on('data', onData);
    run.exited.then((code) => reject(new Error(`hub exited with ${code}: ${run.stderr()}`)));
  });
  return { child: run.child, url, exited: run.exited, stdout: run.stdout };
}
