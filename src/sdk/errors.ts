import { Header } from '../protocol.js';

/**
 * Errors the SDK throws. A hub error keeps the hub's stable code (from `Hub-Error`,
 * see docs/errors.md); `hub_unreachable` means no HTTP answer came at all. A
 * worker's own non-2xx answer is not an error: it is a response like any other.
 */
export class HubClientError extends Error {
  override readonly name = 'HubClientError';
  /** The hub's error code, or `hub_unreachable`. */
  readonly code: string;
  /** The HTTP status the hub answered with; undefined when it was unreachable. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

export function isHubClientError(value: unknown): value is HubClientError {
  return value instanceof HubClientError;
}

export const HUB_UNREACHABLE = 'hub_unreachable';

/**
 * The WebSocket upgrade was answered by something that is not the hub (no
 * `Hub-Error`): a proxy that does not pass WebSockets, or a URL that is no hub.
 */
export const WEBSOCKET_REFUSED = 'websocket_refused';

/** Turns a hub error response (one with `Hub-Error`) into a HubClientError. */
export async function hubErrorFrom(response: Response): Promise<HubClientError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    // The code is what matters; a body we cannot read leaves the generic message.
  }
  return hubError(response.status, response.headers.get(Header.Error) ?? undefined, body);
}

/** Builds the error from a hub error response's parts, whichever HTTP client read them. */
export function hubError(status: number, code: string | undefined, body: unknown): HubClientError {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return new HubClientError(
    code ?? 'unknown',
    typeof message === 'string' ? message : `hub answered ${status} ${code ?? ''}`.trim(),
    { status },
  );
}

export function unreachable(url: string, cause: unknown): HubClientError {
  const error = cause as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  const detail = error?.code ?? error?.cause?.code ?? error?.message;
  return new HubClientError(HUB_UNREACHABLE, `cannot reach the hub at ${url} (${detail})`, {
    cause,
  });
}
