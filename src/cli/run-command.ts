import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  /** The last `STDERR_TAIL_BYTES` of standard error: enough to explain a failure. */
  readonly stderrTail: string;
}

const STDERR_TAIL_BYTES = 2048;

/**
 * Runs `command` with `input` on its standard input and collects its output.
 * Aborting `signal` sends SIGTERM to the command and everything it started.
 * Rejects only when the command cannot start.
 *
 * The command runs in a process group of its own: Ctrl-C in a terminal signals
 * the terminal's foreground group, which is the worker, and the worker decides
 * what the jobs in hand get (they finish), rather than each command dying of
 * the same SIGINT and its caller getting a 500.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { input: Uint8Array; env: NodeJS.ProcessEnv; signal: AbortSignal },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    let stderr = Buffer.alloc(0);
    const kill = () => killGroup(child.pid);
    options.signal.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]).subarray(-STDERR_TAIL_BYTES);
    });
    // A command that exits without reading its input must not fail the job.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input);
    child.on('error', (error) => {
      options.signal.removeEventListener('abort', kill);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      options.signal.removeEventListener('abort', kill);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout),
        stderrTail: stderr.toString('utf8').trim(),
      });
    });
  });
}

/** SIGTERM to a process group (the command and its children), if it is still there. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}
