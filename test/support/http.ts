import http from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The header lines as sent: name, value, name, value... */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export interface Sent {
  readonly reply: Promise<Reply>;
  /** Destroys the request's socket, as a client that goes away would. */
  disconnect(): void;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** The request target exactly as sent, where the URL's own would be normalized (`/a/../b`). */
  path?: string;
}

/** One request on its own connection (no agent), so `disconnect()` really closes a socket. */
export function send(url: string, options: SendOptions = {}): Sent {
  const request = http.request(url, {
    method: options.method ?? 'GET',
    headers: options.headers,
    agent: false,
    ...(options.path !== undefined && { path: options.path }),
  });
  const reply = new Promise<Reply>((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          rawHeaders: response.rawHeaders,
          body: Buffer.concat(chunks),
        }),
      );
      response.on('error', reject);
    });
  });
  request.end(options.body);
  return {
    reply,
    disconnect() {
      // A deliberate disconnect rejects the reply; the test asserts on the hub instead.
      reply.catch(() => {});
      request.destroy();
    },
  };
}

/** Waits until `condition` holds, checking every few milliseconds; fails after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 2000, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
