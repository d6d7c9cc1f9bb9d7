import { errorReply } from '../exchange/error-status.js';
import { eachHeader, isRawHeaders, type Reply, type ReplyStream } from '../exchange/reply.js';
import { noop } from '../util/noop.js';

/** A `Reply` as a fetch `Response`, for Hono. */
export function toResponse(reply: Reply): Response {
  const body = reply.stream ? readableOf(reply.stream) : reply.body;
  return new Response(body, { status: reply.status, headers: headersInit(reply.headers) });
}

/** A streamed body as a fetch body: what the client has not taken stays queued in it, and is counted. */
function readableOf(stream: ReplyStream): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let stop = noop;
  let open = true;
  let unsent = () => 0;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        unsent = () => Math.max(0, -(controller.desiredSize ?? 0));
        stop = stream.open({
          write: (chunk) => {
            if (open) controller.enqueue(encoder.encode(chunk));
            return unsent();
          },
          unsent,
          end: () => {
            if (open) controller.close();
            open = false;
          },
        });
      },
      cancel() {
        open = false;
        stop();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
  );
}

/** Any error as the hub's JSON error response; unknown errors become `internal_error`. */
export function errorResponse(error: unknown, extraHeaders: Record<string, string> = {}): Response {
  return toResponse(errorReply(error, extraHeaders));
}

function headersInit(
  headers: Reply['headers'],
): Readonly<Record<string, string>> | [string, string][] {
  if (!isRawHeaders(headers)) return headers;
  const pairs: [string, string][] = [];
  eachHeader(headers, (name, value) => pairs.push([name, value]));
  return pairs;
}
