import { hubTokenFromEnv, hubUrlFromEnv } from '../config.js';
import type { Transport } from '../sdk/client.js';
import { HUB_UNREACHABLE, isHubClientError, WEBSOCKET_REFUSED } from '../sdk/errors.js';
import { CliExit, ExitCode } from './exit-codes.js';

/** Flags every client command takes. */
export const COMMON_OPTIONS = {
  hub: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--ws`: the WebSocket channel, for the commands where it helps. */
export const WS_OPTION = { ws: { type: 'boolean' } } as const;

/** `--http`: HTTP requests only (long polls), where the WebSocket channel is the default. */
export const HTTP_OPTION = { http: { type: 'boolean' } } as const;

/**
 * Runs a parseArgs call, turning its errors into a usage exit. (A thunk rather than a
 * wrapper of parseArgs, so each command keeps parseArgs' precise result type.)
 */
export function parseOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new CliExit(
      ExitCode.Usage,
      (error as Error).message.split('\n', 1)[0] ?? 'bad arguments',
    );
  }
}

/** Where the hub is and how to authenticate: `--hub`/`SWITCHBOARD_URL`, `--token`/`SWITCHBOARD_TOKEN`. */
export function hubOptions(values: {
  hub?: string | undefined;
  token?: string | undefined;
  ws?: boolean | undefined;
  http?: boolean | undefined;
}): {
  url: string;
  token: string | undefined;
  transport?: Transport;
} {
  const url = values.hub ?? hubUrlFromEnv();
  // A malformed URL is a bad argument (exit 2), not an unreachable hub (exit 4).
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    const from = values.hub === undefined ? 'SWITCHBOARD_URL' : '--hub';
    throw new CliExit(ExitCode.Usage, `${from} must be an http:// or https:// URL, got '${url}'`);
  }
  if (values.ws && values.http)
    throw new CliExit(ExitCode.Usage, 'choose --ws or --http, not both');
  const token = values.token ?? hubTokenFromEnv();
  // Neither flag: the SDK's own default for the command's client.
  if (values.ws) return { url, token, transport: 'ws' };
  if (values.http) return { url, token, transport: 'http' };
  return { url, token };
}

/** Parses a whole number flag, or exits with a usage error naming it. */
export function wholeNumber(
  raw: string | undefined,
  flag: string,
  min: number,
): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min) {
    throw new CliExit(ExitCode.Usage, `--${flag} must be a whole number >= ${min}, got '${raw}'`);
  }
  return Number(raw);
}

/** Maps SDK errors to the CLI's exit codes; anything else is rethrown. */
export function exitFor(error: unknown): CliExit {
  if (error instanceof CliExit) return error;
  if (isHubClientError(error)) {
    if (error.status === 401 || error.status === 403) {
      return new CliExit(
        ExitCode.Refused,
        `${error.code}: ${error.message} (check --token or SWITCHBOARD_TOKEN)`,
      );
    }
    const unreachable = error.code === HUB_UNREACHABLE || error.code === WEBSOCKET_REFUSED;
    return new CliExit(
      unreachable ? ExitCode.Unreachable : ExitCode.HubError,
      unreachable ? error.message : `${error.code}: ${error.message}`,
    );
  }
  throw error;
}
