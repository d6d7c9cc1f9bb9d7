import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

export interface HubProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  stdout(): string;
}

/** Runs `src/main.ts` the way `npm start` does; PORT=0 unless `env` says otherwise. */
export function runMain(args: string[], env: Record<string, string> = {}) {
  return runNode(['--import', 'tsx', MAIN, ...args], { PORT: '0', ...env });
}

/** Runs the `switchboard` command as a user would, optionally feeding `input` on stdin. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string; ownGroup?: boolean } = {},
) {
  return runNode([CLI, ...args], options.env ?? {}, options.input, options.ownGroup);
}

/** `ownGroup`: a process group of its own, as a shell gives a foreground job; signal it with `process.kill(-pid)`. */
export function runNode(
  args: string[],
  env: Record<string, string>,
  input?: string,
  ownGroup = false,
) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  if (input !== undefined) child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
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
