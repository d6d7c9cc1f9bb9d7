import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench` runs the harness compiled (tsconfig.bench.json, into
 * .bench-build/), and its targets with it, as the hub runs from dist/: under tsx,
 * esbuild's keepNames wraps every named closure of every module, node_modules
 * included, in a `__name` call, a cost a reference server would carry and the hub
 * would not (docs/benchmarks.md). Run from its sources (row.ts under tsx), it
 * starts its targets under tsx too.
 */
const COMPILED = import.meta.url.endsWith('.js');
/** The root of the harness's own tree: the project, or its compiled copy. */
const TREE = fileURLToPath(new URL('../..', import.meta.url));
const ROOT = COMPILED ? join(TREE, '..') : TREE;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export interface Child {
  readonly process: ChildProcess;
  /** The first capture group of the line that said the child was ready. */
  readonly ready: string;
  stop(): Promise<void>;
}

/** Children still running; a run that fails part-way must not leave workers behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts a file with node (a `.ts` file as compiled, or under tsx) and waits for a
 * stdout line matching `readyLine`. BENCH_NODE_ARGS adds node flags, e.g. `--cpu-prof`.
 */
export async function startChild(
  file: string,
  args: string[],
  readyLine: RegExp,
  env: Record<string, string> = {},
): Promise<Child> {
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  let script = file;
  if (file.endsWith('.ts') && COMPILED) script = join(TREE, file.replace(/\.ts$/, '.js'));
  else if (file.endsWith('.ts')) nodeArgs.push('--import', 'tsx');
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${file} not ready after 20 s: ${output}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const match = readyLine.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] ?? '');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited ${code}: ${output}`));
    });
  });
  return {
    process: child,
    ready,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    },
  };
}

/** CPU time (user + system) a process has used so far, in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/** A process's peak and current resident memory, in MiB. */
export function memoryMiB(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peak: kib('VmHWM') / 1024, current: kib('VmRSS') / 1024 };
}

/** The pid of a running server by its program name (nats-server, redis-server), if there is one. */
export function pidOf(name: string): number | undefined {
  try {
    return Number(execFileSync('pgrep', ['-xo', name]).toString().trim()) || undefined;
  } catch {
    return undefined;
  }
}
