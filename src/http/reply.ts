/**
 * A response before it is written. The hot routes' handlers build one, and the
 * server that parsed the request writes it: Hono's app as a fetch `Response`
 * (`toResponse`), the node:http fast path straight to Node's `ServerResponse`
 * (node-routes.ts). One builder per response, so both paths answer alike.
 */
export interface Reply {
  readonly status: number;
  /** A record; pairs only where a name repeats (each of a worker's `Set-Cookie` lines). */
  readonly headers: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
  /** Null: no body (204, 304, or a bodyless answer). */
  readonly body: Uint8Array | string | null;
}

export function toResponse(reply: Reply): Response {
  return new Response(reply.body, {
    status: reply.status,
    headers: reply.headers as Record<string, string> | [string, string][],
  });
}
