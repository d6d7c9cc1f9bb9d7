/** The CLI's exit codes, documented in docs/cli.md; scripts may rely on them. */
export const ExitCode = {
  Ok: 0,
  /** `call`: the worker answered with a non-2xx status (its body is still printed). */
  WorkerError: 1,
  /** Bad arguments: unknown flag, missing service, a JSON argument that is not JSON. */
  Usage: 2,
  /** The hub answered with an error of its own (timeout, queue_full, ...). */
  HubError: 3,
  /** No answer from the hub at all. */
  Unreachable: 4,
} as const;

/** A failure that ends the command with `code` after printing `message` on one line. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
