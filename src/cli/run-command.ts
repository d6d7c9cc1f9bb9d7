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
 * Aborting `signal` sends SIGTERM. Rejects only when the command cannot start.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { input: Uint8Array; env: NodeJS.ProcessEnv; signal: AbortSignal },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = Buffer.alloc(0);
    const kill = () => child.kill('SIGTERM');
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
