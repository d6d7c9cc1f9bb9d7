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
  /** The hub refused the token: 401 `unauthorized` or 403 `forbidden`. Retrying cannot help. */
  Refused: 5,
  /** `serve`: the hub cannot listen on its port (in use, or not allowed). */
  CannotListen: 6,
  /** `work`: a second Ctrl-C ended the jobs in hand (128 + SIGINT, as shells report it). */
  Interrupted: 130,
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
