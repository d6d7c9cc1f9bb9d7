import type { IncomingHttpHeaders } from 'node:http';

/** What RequestHeaders reads of Node's `IncomingMessage`: its parsed headers. */
export interface NodeHeaders {
  readonly headers: IncomingHttpHeaders;
  readonly headersDistinct: Readonly<Record<string, string[] | undefined>>;
}

/**
 * Request headers without building a fetch `Headers` object. Served by
 * @hono/node-server, Node has already parsed them into `incoming.headers`;
 * reading `c.req.header()` would copy and re-validate every header into a new
 * `Headers` first (3.5 % of the hub's CPU in the benchmark's profile). Under
 * `app.request()` (tests, other runtimes) there is no `incoming`, and the fetch
 * headers are used. The node:http fast path (node-routes.ts) has only `incoming`.
 */
export class RequestHeaders {
  readonly #incoming: NodeHeaders | undefined;
  readonly #node: IncomingHttpHeaders | undefined;
  readonly #fetch: () => Headers;

  constructor(incoming: NodeHeaders | undefined, fetchHeaders: () => Headers = noHeaders) {
    this.#incoming = incoming;
    this.#node = incoming?.headers;
    this.#fetch = fetchHeaders;
  }

  /**
   * A repeated header's values one by one, as the client sent them (Node joins
   * them with ", " in `headers`). Fetch `Headers` keep them apart only for
   * `Set-Cookie` itself, so under `app.request()` others come back joined.
   */
  distinct(name: string): string[] {
    if (!this.#incoming) {
      const value = this.#fetch().get(name);
      return value === null ? [] : [value];
    }
    return this.#incoming.headersDistinct[name] ?? [];
  }

  /** One header by its lower-case name; repeated values joined with ", ". */
  get(name: string): string | undefined {
    if (!this.#node) return this.#fetch().get(name) ?? undefined;
    const value = this.#node[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** Every header as [lower-case name, value]. */
  forEach(visit: (value: string, name: string) => void): void {
    if (!this.#node) {
      this.#fetch().forEach(visit);
      return;
    }
    for (const name in this.#node) {
      const value = this.#node[name];
      if (value !== undefined) visit(Array.isArray(value) ? value.join(', ') : value, name);
    }
  }
}

const noHeaders = () => new Headers();
