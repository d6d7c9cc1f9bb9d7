import type { Grant } from '../auth.js';
import type { CancelSignal } from '../domain/cancel.js';
import { queryParam } from '../exchange/match.js';
import type { ExchangeRequest } from '../exchange/request.js';
import { type NodeHeaders, RequestHeaders } from '../exchange/request-headers.js';
import type { RequestFrame } from './frames.js';

/**
 * A request frame as an exchange's handler reads a request: no fetch `Request`,
 * no trip through the app's router. Its headers are read as Node's parser would
 * give them (lower-case names, repeats joined with ", "), with a `Content-Length`
 * that says the frame's body, so a rule on lengths (a GET's body refused) holds
 * here as over HTTP.
 */
export class FrameRequest implements ExchangeRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: RequestHeaders;
  readonly #frame: RequestFrame;
  readonly #params: Readonly<Record<string, string>>;
  readonly #queryStart: number;
  readonly #gone: CancelSignal;

  constructor(
    frame: RequestFrame,
    params: Readonly<Record<string, string>>,
    readonly grant: Grant | undefined,
    authorization: string | undefined,
    gone: CancelSignal,
  ) {
    this.method = frame.method;
    this.target = frame.route;
    this.headers = new RequestHeaders(nodeHeaders(frame, authorization));
    this.#frame = frame;
    this.#params = params;
    this.#queryStart = frame.route.indexOf('?');
    this.#gone = gone;
  }

  param(name: string): string | undefined {
    return this.#params[name];
  }

  query(name: string): string | undefined {
    return queryParam(this.target, this.#queryStart, name);
  }

  async body(): Promise<Uint8Array> {
    return this.#frame.body ?? EMPTY;
  }

  gone(): CancelSignal {
    return this.#gone;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The frame's headers as Node's `IncomingMessage` has them. `authorization`,
 * when given (auth on), is the socket's own and replaces any a frame names.
 */
function nodeHeaders(frame: RequestFrame, authorization: string | undefined): NodeHeaders {
  const headers: Record<string, string> = {};
  const headersDistinct: Record<string, string[]> = {};
  const add = (name: string, value: string) => {
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    const values = headersDistinct[name];
    if (values) values.push(value);
    else headersDistinct[name] = [value];
  };
  for (const name in frame.headers) {
    const lower = name.toLowerCase();
    if (lower === 'content-length') continue;
    if (lower === 'authorization' && authorization !== undefined) continue;
    add(lower, frame.headers[name] as string);
  }
  if (authorization !== undefined) add('authorization', authorization);
  add('content-length', String(frame.body?.byteLength ?? 0));
  return { headers, headersDistinct };
}
