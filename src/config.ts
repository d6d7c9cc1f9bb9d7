import { isIP } from 'node:net';
import { parseArgs } from 'node:util';

/** The levels `LOG_LEVEL` and `--log-level` accept (pino's), most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const MiB = 1024 * 1024;

interface IntOption {
  /** The name in `Config`, in camelCase with its unit (`leaseMs`, `maxBodyBytes`). */
  readonly key: string;
  readonly env: string;
  readonly flag: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly help: string;
}

/**
 * The one table of settings: names, defaults, ranges, meanings. `Config`'s type,
 * the loader, `--help` and docs/configuration.md are all made from it.
 */
export const INT_OPTIONS = [
  {
    key: 'port',
    env: 'PORT',
    flag: 'port',
    default: 8080,
    min: 0,
    max: 65535,
    help: 'TCP port (0: any free port)',
  },
  {
    key: 'maxBodyBytes',
    env: 'HUB_MAX_BODY_BYTES',
    flag: 'max-body-bytes',
    default: 1 * MiB,
    min: 1,
    max: 1024 * MiB,
    help: 'largest call or answer body; larger is 413',
  },
  {
    key: 'maxQueuedPerService',
    env: 'HUB_MAX_QUEUED',
    flag: 'max-queued',
    default: 10_000,
    min: 1,
    max: 10_000_000,
    help: 'queued jobs per service; more is 503 `queue_full`',
  },
  {
    key: 'maxParked',
    env: 'HUB_MAX_PARKED',
    flag: 'max-parked',
    default: 20_000,
    min: 1,
    max: 10_000_000,
    help: 'parked calls + parked polls; more is 503 `hub_full`',
  },
  {
    key: 'maxParkedPerService',
    env: 'HUB_MAX_PARKED_PER_SERVICE',
    flag: 'max-parked-per-service',
    default: 10_000,
    min: 1,
    max: 10_000_000,
    help: "one service's share of those; more is 503 `service_full`",
  },
  {
    key: 'maxQueuedBytes',
    env: 'HUB_MAX_QUEUED_BYTES',
    flag: 'max-queued-bytes',
    default: 256 * MiB,
    min: 1,
    max: 64 * 1024 * MiB,
    help: 'bytes of call bodies held by queued and in-flight jobs; more is 503 `hub_full`',
  },
  {
    key: 'maxQueuedBytesPerService',
    env: 'HUB_MAX_QUEUED_BYTES_PER_SERVICE',
    flag: 'max-queued-bytes-per-service',
    default: 128 * MiB,
    min: 1,
    max: 64 * 1024 * MiB,
    help: "one service's share of those; more is 503 `service_full`",
  },
  {
    key: 'maxServices',
    env: 'HUB_MAX_SERVICES',
    flag: 'max-services',
    default: 10_000,
    min: 1,
    max: 10_000_000,
    help: 'services tracked at once (idle ones are forgotten first)',
  },
  {
    key: 'maxWorkersPerService',
    env: 'HUB_MAX_WORKERS_PER_SERVICE',
    flag: 'max-workers-per-service',
    default: 100,
    min: 1,
    max: 100_000,
    help: 'workers each service remembers for `GET /services` (the longest unseen are forgotten first)',
  },
  {
    key: 'metricsMaxServices',
    env: 'HUB_METRICS_MAX_SERVICES',
    flag: 'metrics-max-services',
    default: 100,
    min: 0,
    max: 100_000,
    help: 'services with a label of their own in `GET /metrics`; later ones share `other`; 0 turns metrics off (docs/metrics.md)',
  },
  {
    key: 'wsMaxFrameBytes',
    env: 'HUB_WS_MAX_FRAME_BYTES',
    flag: 'ws-max-frame-bytes',
    // A body at HUB_MAX_BODY_BYTES as base64 fits with room to spare.
    default: 4 * MiB,
    min: 1024,
    max: 2048 * MiB,
    help: 'largest WebSocket frame; larger closes the socket (1009)',
  },
  {
    key: 'wsMaxCredit',
    env: 'HUB_WS_MAX_CREDIT',
    flag: 'ws-max-credit',
    default: 1000,
    min: 1,
    max: 100_000,
    help: 'most jobs one WebSocket worker may hold at once',
  },
  {
    key: 'wsMaxInFlight',
    env: 'HUB_WS_MAX_IN_FLIGHT',
    flag: 'ws-max-in-flight',
    default: 1000,
    min: 1,
    max: 100_000,
    help: 'most requests in flight on one WebSocket',
  },
  {
    key: 'wsMaxSockets',
    env: 'HUB_WS_MAX_SOCKETS',
    flag: 'ws-max-sockets',
    default: 10_000,
    min: 1,
    max: 1_000_000,
    help: 'WebSockets open at once; more is refused with 503 `hub_full`',
  },
  {
    key: 'wsMaxSocketsPerToken',
    env: 'HUB_WS_MAX_SOCKETS_PER_TOKEN',
    flag: 'ws-max-sockets-per-token',
    default: 1000,
    min: 1,
    max: 1_000_000,
    help: 'WebSockets open at once per token, when auth is on; a socket that authenticates by frame counts under its token from then on',
  },
  {
    key: 'wsMaxUnsentBytes',
    env: 'HUB_WS_MAX_UNSENT_BYTES',
    flag: 'ws-max-unsent-bytes',
    default: 64 * MiB,
    min: 1024 * 1024,
    max: 16 * 1024 * MiB,
    help: 'bytes sent to one WebSocket and not yet read before it is cut (a slow reader is paused long before)',
  },
  {
    key: 'wsMaxUnsentTotalBytes',
    env: 'HUB_WS_MAX_UNSENT_TOTAL_BYTES',
    flag: 'ws-max-unsent-total-bytes',
    default: 512 * MiB,
    min: 1024 * 1024,
    max: 64 * 1024 * MiB,
    help: 'the same for all WebSockets together; past it, sockets holding over 1 MiB unread are cut',
  },
  {
    key: 'wsMaxUnauthenticated',
    env: 'HUB_WS_MAX_UNAUTHENTICATED',
    flag: 'ws-max-unauthenticated',
    default: 100,
    min: 1,
    max: 1_000_000,
    help: 'WebSockets open at once that have still to send their `auth` frame (auth on)',
  },
  {
    key: 'wsPingMs',
    env: 'HUB_WS_PING_MS',
    flag: 'ws-ping-ms',
    default: 15 * SECOND,
    min: 10,
    max: 60 * MINUTE,
    help: 'the hub pings each WebSocket this often; one silent for two pings is cut and its jobs handed on',
  },
  {
    key: 'callTimeoutMs',
    env: 'HUB_CALL_TIMEOUT_MS',
    flag: 'call-timeout-ms',
    default: 30 * SECOND,
    min: 1,
    max: 24 * 60 * MINUTE,
    help: "a call's deadline when it sends no `Hub-Timeout`",
  },
  {
    key: 'maxCallTimeoutMs',
    env: 'HUB_MAX_CALL_TIMEOUT_MS',
    flag: 'max-call-timeout-ms',
    default: 5 * MINUTE,
    min: 1,
    max: 24 * 60 * MINUTE,
    help: 'the longest deadline a caller may ask for',
  },
  {
    key: 'pollTimeoutMs',
    env: 'HUB_POLL_TIMEOUT_MS',
    flag: 'poll-timeout-ms',
    default: 30 * SECOND,
    min: 0,
    max: 24 * 60 * MINUTE,
    help: "a poll's wait when it names none",
  },
  {
    key: 'maxPollTimeoutMs',
    env: 'HUB_MAX_POLL_TIMEOUT_MS',
    flag: 'max-poll-timeout-ms',
    default: 2 * MINUTE,
    min: 0,
    max: 24 * 60 * MINUTE,
    help: 'the longest wait a worker may ask for',
  },
  {
    key: 'shutdownGraceMs',
    env: 'HUB_SHUTDOWN_GRACE_MS',
    flag: 'shutdown-grace-ms',
    default: 10 * SECOND,
    min: 0,
    max: 60 * MINUTE,
    help: 'time in-flight jobs get to finish on SIGTERM/SIGINT',
  },
  {
    key: 'finishedJobTtlMs',
    env: 'HUB_FINISHED_JOB_TTL_MS',
    flag: 'finished-job-ttl-ms',
    default: 5 * MINUTE,
    min: 0,
    max: 24 * 60 * MINUTE,
    help: 'how long finished job ids are remembered (for 409/410)',
  },
  {
    key: 'maxFinishedJobs',
    env: 'HUB_MAX_FINISHED_JOBS',
    flag: 'max-finished-jobs',
    default: 100_000,
    min: 0,
    max: 10_000_000,
    help: 'how many finished job ids are remembered at most',
  },
  {
    key: 'processes',
    env: 'HUB_PROCESSES',
    flag: 'processes',
    default: 1,
    min: 1,
    max: 256,
    help: 'hub processes on this machine, sharing one port (one per core); more than 1 needs `HUB_STORE=redis`',
  },
  {
    key: 'redisTimeoutMs',
    env: 'HUB_REDIS_TIMEOUT_MS',
    flag: 'redis-timeout-ms',
    // A script takes well under a millisecond; a Redis that is down is refused at
    // once (nothing is queued while disconnected). This bounds a Redis that hangs.
    default: 2 * SECOND,
    min: 10,
    max: MINUTE,
    help: 'how long the Redis store waits for Redis to answer before the request fails with 503 `store_unavailable`',
  },
  {
    key: 'leaseMs',
    env: 'HUB_LEASE_MS',
    flag: 'lease-ms',
    // A third of the default call deadline: a job whose worker died is handed to
    // another with time to spare, yet a worker that never heartbeats (a curl loop)
    // has ten seconds per job. The SDK heartbeats every third of it.
    default: 10 * SECOND,
    min: 10,
    max: 60 * MINUTE,
    help: "a taken job's lease; unanswered and not heartbeated, it is handed out again",
  },
  {
    key: 'maxAttempts',
    env: 'HUB_MAX_ATTEMPTS',
    flag: 'max-attempts',
    default: 3,
    min: 1,
    max: 100,
    help: 'hand-outs a job gets in all; callers may ask for fewer with `Hub-Max-Attempts`',
  },
  {
    key: 'noWorkersMs',
    env: 'HUB_NO_WORKERS_MS',
    flag: 'no-workers-ms',
    default: 10 * SECOND,
    min: 0,
    max: 24 * 60 * MINUTE,
    help: 'a call to a service with no worker seen within it gets 503 `no_workers`; 0 turns this off',
  },
  {
    key: 'resultTtlMs',
    env: 'HUB_RESULT_TTL_MS',
    flag: 'result-ttl-ms',
    default: 5 * MINUTE,
    min: 0,
    max: 24 * 60 * MINUTE,
    help: 'how long the outcome of an async call, or of a call with an `Idempotency-Key`, is kept',
  },
  {
    key: 'maxResults',
    env: 'HUB_MAX_RESULTS',
    flag: 'max-results',
    default: 10_000,
    min: 0,
    max: 10_000_000,
    help: 'such outcomes kept at most (oldest dropped first)',
  },
  {
    key: 'maxResultBytes',
    env: 'HUB_MAX_RESULT_BYTES',
    flag: 'max-result-bytes',
    default: 64 * MiB,
    min: 0,
    max: 16 * 1024 * MiB,
    help: 'bytes of answers (bodies and headers) they keep at most (oldest dropped first)',
  },
  {
    key: 'maxResultsPerService',
    env: 'HUB_MAX_RESULTS_PER_SERVICE',
    flag: 'max-results-per-service',
    default: 5_000,
    min: 0,
    max: 10_000_000,
    help: "such outcomes one service keeps at most: it drops its own oldest, never another service's",
  },
  {
    key: 'maxResultBytesPerService',
    env: 'HUB_MAX_RESULT_BYTES_PER_SERVICE',
    flag: 'max-result-bytes-per-service',
    default: 32 * MiB,
    min: 0,
    max: 16 * 1024 * MiB,
    help: 'bytes of answers one service keeps at most, likewise',
  },
  {
    key: 'headersTimeoutMs',
    env: 'HUB_HEADERS_TIMEOUT_MS',
    flag: 'headers-timeout-ms',
    default: 10 * SECOND,
    min: 1,
    max: 10 * MINUTE,
    help: 'time a client has to send its request headers',
  },
  {
    key: 'requestTimeoutMs',
    env: 'HUB_REQUEST_TIMEOUT_MS',
    flag: 'request-timeout-ms',
    default: 60 * SECOND,
    min: 1,
    max: 60 * MINUTE,
    help: 'time a client has to send its whole request, body included (never the wait for an answer); 408 after it',
  },
  {
    key: 'keepAliveTimeoutMs',
    env: 'HUB_KEEP_ALIVE_TIMEOUT_MS',
    flag: 'keep-alive-timeout-ms',
    default: 65 * SECOND,
    min: 1,
    max: 60 * MINUTE,
    help: "idle keep-alive lifetime (above common load balancers' 60 s)",
  },
  {
    key: 'maxTopics',
    env: 'HUB_MAX_TOPICS',
    flag: 'max-topics',
    default: 1_000,
    min: 1,
    max: 1_000_000,
    help: 'topics kept at once; publishing to one more is 503 `too_many_topics` (docs/events.md)',
  },
  {
    key: 'topicsMaxBytes',
    env: 'HUB_TOPICS_MAX_BYTES',
    flag: 'topics-max-bytes',
    default: 256 * MiB,
    min: 0,
    max: 64 * 1024 * MiB,
    help: 'bytes of messages all topics keep together; a publish past it is 503 `topics_full`',
  },
  {
    key: 'topicMaxAgeMs',
    env: 'HUB_TOPIC_MAX_AGE_MS',
    flag: 'topic-max-age-ms',
    default: 60 * MINUTE,
    min: 1,
    max: 30 * 24 * 60 * MINUTE,
    help: "how long a topic keeps a message (a topic's own setting, `PATCH /topics/<t>`, wins)",
  },
  {
    key: 'topicMaxMessages',
    env: 'HUB_TOPIC_MAX_MESSAGES',
    flag: 'topic-max-messages',
    default: 100_000,
    min: 1,
    max: 100_000_000,
    help: 'messages a topic keeps at most (likewise)',
  },
  {
    key: 'topicMaxBytes',
    env: 'HUB_TOPIC_MAX_BYTES',
    flag: 'topic-max-bytes',
    default: 64 * MiB,
    min: 1,
    max: 64 * 1024 * MiB,
    help: 'bytes of messages a topic keeps at most (likewise)',
  },
  {
    key: 'maxWebhooks',
    env: 'HUB_MAX_WEBHOOKS',
    flag: 'max-webhooks',
    default: 1_000,
    min: 1,
    max: 1_000_000,
    help: 'webhooks registered at once; one more is 503 `too_many_webhooks`',
  },
  {
    key: 'webhookTimeoutMs',
    env: 'HUB_WEBHOOK_TIMEOUT_MS',
    flag: 'webhook-timeout-ms',
    default: 10 * SECOND,
    min: 1,
    max: 10 * MINUTE,
    help: 'how long a webhook delivery may take before it counts as failed',
  },
  {
    key: 'webhookMaxAttempts',
    env: 'HUB_WEBHOOK_MAX_ATTEMPTS',
    flag: 'webhook-max-attempts',
    default: 8,
    min: 1,
    max: 100,
    help: 'attempts at one delivery before it becomes a dead letter',
  },
  {
    key: 'webhookRetryMs',
    env: 'HUB_WEBHOOK_RETRY_MS',
    flag: 'webhook-retry-ms',
    default: 1 * SECOND,
    min: 1,
    max: 60 * MINUTE,
    help: 'the wait before the first retry; each next one about twice as long (with jitter), at most 5 minutes',
  },
  {
    key: 'webhookMaxPerAddress',
    env: 'HUB_WEBHOOK_MAX_PER_ADDRESS',
    flag: 'webhook-max-per-address',
    default: 4,
    min: 1,
    max: 1000,
    help: 'deliveries in flight at once to one receiver (scheme, host and port), per replica',
  },
  {
    key: 'webhookMaxDeadLetters',
    env: 'HUB_WEBHOOK_MAX_DEAD_LETTERS',
    flag: 'webhook-max-dead-letters',
    default: 1_000,
    min: 1,
    max: 1_000_000,
    help: 'dead letters a webhook keeps (oldest dropped first)',
  },
  {
    key: 'topicSubscriberBufferBytes',
    env: 'HUB_TOPIC_SUBSCRIBER_BUFFER_BYTES',
    flag: 'topic-subscriber-buffer-bytes',
    default: 1 * MiB,
    min: 1024,
    max: 1024 * MiB,
    help: 'bytes a topic subscriber (WebSocket, SSE) may leave unread; past it the hub cuts it, and it resumes from its last id',
  },
] as const satisfies readonly IntOption[];

interface StringOption<T> {
  readonly key: string;
  readonly env: string;
  /** None for secrets: a flag would show them to anyone who can list processes. */
  readonly flag: string | undefined;
  readonly default: string;
  readonly help: string;
  /** The setting's value from its text; throws `ConfigError` naming `source`. */
  readonly parse: (raw: string, source: string) => T;
}

/** A string option, its value's type taken from its `parse`. */
function stringOption<const K extends string, T>(option: StringOption<T> & { key: K }) {
  return option;
}

const asIs = (raw: string) => raw;

export const STRING_OPTIONS = [
  stringOption({
    key: 'host',
    env: 'HOST',
    flag: 'host',
    default: '127.0.0.1',
    help: 'address to listen on (the Docker image uses 0.0.0.0)',
    parse: parseHost,
  }),
  stringOption({
    key: 'authFile',
    env: 'HUB_AUTH_FILE',
    flag: 'auth-file',
    default: '',
    help: 'JSON file of bearer tokens (auth is off without it or HUB_AUTH_TOKENS)',
    parse: asIs,
  }),
  stringOption({
    key: 'authTokens',
    env: 'HUB_AUTH_TOKENS',
    flag: undefined,
    default: '',
    help: 'the same JSON inline (no flag, so tokens stay out of `ps`)',
    parse: asIs,
  }),
  stringOption({
    key: 'idempotencyScopeHeaders',
    env: 'HUB_IDEMPOTENCY_SCOPE_HEADERS',
    flag: 'idempotency-scope-headers',
    default: 'x-user-id',
    help: 'request headers whose values, with the token, give each caller its own `Idempotency-Key`s (comma-separated)',
    parse: parseHeaderList,
  }),
  stringOption({
    key: 'wsAllowedOrigins',
    env: 'HUB_WS_ALLOWED_ORIGINS',
    flag: 'ws-allowed-origins',
    default: '',
    help: "browser origins besides the hub's own that may open a WebSocket, comma-separated (`https://app.example.com`; `*` for any); clients that send no `Origin` are not browsers and always may",
    parse: parseOriginList,
  }),
  stringOption({
    key: 'compat',
    env: 'HUB_COMPAT',
    flag: 'compat',
    default: '',
    help: "`astrohub`: behave as AstroHub's own workers and callers expect; see docs/astrohub.md",
    parse: parseCompat,
  }),
  stringOption({
    key: 'store',
    env: 'HUB_STORE',
    flag: 'store',
    default: 'memory',
    help: '`memory` (one process) or `redis` (any number of replicas sharing `REDIS_URL`; docs/scale-out.md)',
    parse: parseStore,
  }),
  stringOption({
    key: 'redisUrl',
    env: 'REDIS_URL',
    flag: 'redis-url',
    default: 'redis://127.0.0.1:6379',
    help: 'the Redis of `HUB_STORE=redis`: `redis://[user:password@]host:port[/db]`',
    parse: parseRedisUrl,
  }),
  stringOption({
    key: 'redisPrefix',
    env: 'HUB_REDIS_PREFIX',
    flag: 'redis-prefix',
    default: 'switchboard',
    help: "what the Redis store's keys start with (`{prefix}:...`): replicas of one hub share it; two hubs on one Redis need two",
    parse: parseRedisPrefix,
  }),
  stringOption({
    key: 'webhookAllowNetworks',
    env: 'HUB_WEBHOOK_ALLOW_NETWORKS',
    flag: 'webhook-allow-networks',
    default: '',
    help: 'CIDRs webhooks may be delivered to although refused by default (loopback, link-local, metadata), comma-separated: `127.0.0.0/8,::1/128`',
    parse: parseNetworks,
  }),
  stringOption({
    key: 'webhookDenyNetworks',
    env: 'HUB_WEBHOOK_DENY_NETWORKS',
    flag: 'webhook-deny-networks',
    default: '',
    help: 'CIDRs webhooks are never delivered to, besides the default ones, comma-separated: `10.0.0.0/8,172.16.0.0/12,192.168.0.0/16`',
    parse: parseNetworks,
  }),
  stringOption({
    key: 'topicDiscard',
    env: 'HUB_TOPIC_DISCARD',
    flag: 'topic-discard',
    default: 'new',
    help: "what a full topic does: `new` refuses the publish (503 `topic_full`), `old` drops its oldest messages (a topic's own setting wins)",
    parse: parseDiscard,
  }),
  stringOption({
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: 'log-level',
    default: 'info',
    help: 'how much the hub logs: `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`; JSON lines, or readable ones in a terminal (docs/logs.md)',
    parse: parseLogLevel,
  }),
] as const;

type IntSettings = { readonly [O in (typeof INT_OPTIONS)[number] as O['key']]: number };
type StringSettings = {
  readonly [O in (typeof STRING_OPTIONS)[number] as O['key']]: ReturnType<O['parse']>;
};

/**
 * Everything the hub can be told at start-up, typed from the two tables above
 * (their `help` says what each means; docs/configuration.md lists them). Frozen
 * once loaded.
 */
export type Config = IntSettings & StringSettings;

/** A CIDR as `HUB_WEBHOOK_*_NETWORKS` lists them: an address, a slash, a prefix length. */
export interface Network {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

function parseNetworks(raw: string, source: string): readonly Network[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [address = '', bits = ''] = entry.split('/');
      const family = isIP(address);
      const prefix = Number(bits);
      const max = family === 6 ? 128 : 32;
      if (family === 0 || !/^[0-9]{1,3}$/.test(bits) || prefix > max) {
        throw new ConfigError(
          `Invalid ${source}: expected CIDRs such as 127.0.0.0/8 or ::1/128, got '${entry}'`,
        );
      }
      return { address, prefix, family: family === 6 ? 'ipv6' : 'ipv4' };
    });
}

/** What `HUB_TOPIC_DISCARD` accepts. */
export const DISCARD_POLICIES = ['new', 'old'] as const;

function parseDiscard(raw: string, source: string): (typeof DISCARD_POLICIES)[number] {
  const found = DISCARD_POLICIES.find((policy) => policy === raw);
  if (found === undefined) {
    throw new ConfigError(`Invalid ${source}: expected 'new' or 'old', got '${raw}'`);
  }
  return found;
}

/** What `HUB_COMPAT` accepts. */
const COMPAT_MODES = ['', 'astrohub'] as const;

/** A header name as RFC 9110 spells a token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A bad setting: `message` is the one line start-up prints before exiting 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly argv?: readonly string[];
}

/** Reads flags, then environment variables, then defaults. Throws `ConfigError`. */
export function loadConfig({
  env = process.env,
  argv = process.argv.slice(2),
}: ConfigSources = {}): Config {
  const flags = parseFlags(argv);
  const ints: Record<string, number> = {};
  for (const option of INT_OPTIONS) {
    const fromFlag = flags[option.flag];
    const [raw, source] =
      fromFlag !== undefined ? [fromFlag, `--${option.flag}`] : [env[option.env], option.env];
    ints[option.key] = raw === undefined ? option.default : parseInteger(raw, source, option);
  }
  const strings: Record<string, unknown> = {};
  for (const option of STRING_OPTIONS) {
    const fromFlag = option.flag === undefined ? undefined : flags[option.flag];
    const [raw, source] =
      fromFlag !== undefined ? [fromFlag, `--${option.flag}`] : [env[option.env], option.env];
    strings[option.key] = option.parse(raw ?? option.default, source);
  }
  // Every key of both tables was set just above, each by its own parser.
  const config = { ...ints, ...strings } as Config;
  checkDefaultWithinMax(
    config.callTimeoutMs,
    config.maxCallTimeoutMs,
    'HUB_CALL_TIMEOUT_MS',
    'HUB_MAX_CALL_TIMEOUT_MS',
  );
  checkDefaultWithinMax(
    config.headersTimeoutMs,
    config.requestTimeoutMs,
    'HUB_HEADERS_TIMEOUT_MS',
    'HUB_REQUEST_TIMEOUT_MS',
  );
  checkDefaultWithinMax(
    config.pollTimeoutMs,
    config.maxPollTimeoutMs,
    'HUB_POLL_TIMEOUT_MS',
    'HUB_MAX_POLL_TIMEOUT_MS',
  );
  return Object.freeze(config);
}

function parseFlags(argv: readonly string[]): Record<string, string | undefined> {
  const options: Record<string, { type: 'string' }> = {};
  for (const option of STRING_OPTIONS) if (option.flag) options[option.flag] = { type: 'string' };
  for (const option of INT_OPTIONS) options[option.flag] = { type: 'string' };
  try {
    return parseArgs({
      args: attachDashValues(argv, options),
      options,
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new ConfigError((error as Error).message.split('\n', 1)[0] ?? 'invalid arguments');
  }
}

/**
 * `--max-body-bytes -5`: parseArgs takes a value that starts with a dash for a
 * flag and refuses it as "ambiguous". Every setting takes a value, so the next
 * argument is the value: written `--flag=-5`, it reaches the range check, whose
 * message says what is wrong.
 */
function attachDashValues(argv: readonly string[], options: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const next = argv[i + 1];
    if (arg.startsWith('--') && arg.slice(2) in options && next?.startsWith('-')) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  return args;
}

function parseHost(raw: string, source: string): string {
  if (raw.trim() === '')
    throw new ConfigError(`Invalid ${source}: expected an address, got an empty string`);
  return raw;
}

function parseCompat(raw: string, source: string): (typeof COMPAT_MODES)[number] {
  const mode = COMPAT_MODES.find((m) => m === raw);
  if (mode === undefined) {
    throw new ConfigError(`Invalid ${source}: expected 'astrohub' or nothing, got '${raw}'`);
  }
  return mode;
}

/** What `HUB_STORE` accepts. */
const STORES = ['memory', 'redis'] as const;

function parseStore(raw: string, source: string): (typeof STORES)[number] {
  const store = STORES.find((s) => s === raw);
  if (store === undefined) {
    throw new ConfigError(`Invalid ${source}: expected 'memory' or 'redis', got '${raw}'`);
  }
  return store;
}

function parseRedisUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `Invalid ${source}: expected a URL like redis://127.0.0.1:6379, got '${raw}'`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`Invalid ${source}: expected a redis:// or rediss:// URL, got '${raw}'`);
  }
  return raw;
}

/** A prefix goes inside a hash tag's braces: no braces of its own. */
function parseRedisPrefix(raw: string, source: string): string {
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(raw)) {
    throw new ConfigError(
      `Invalid ${source}: expected 1 to 64 letters, digits, '.', '_', ':' or '-', got '${raw}'`,
    );
  }
  return raw;
}

function parseLogLevel(raw: string, source: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === raw);
  if (level === undefined) {
    throw new ConfigError(
      `Invalid ${source}: expected one of ${LOG_LEVELS.join(', ')}, got '${raw}'`,
    );
  }
  return level;
}

function parseHeaderList(raw: string, source: string): readonly string[] {
  const names = raw
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const bad = names.find((name) => !HEADER_NAME.test(name));
  if (bad !== undefined) {
    throw new ConfigError(`Invalid ${source}: expected comma-separated header names, got '${bad}'`);
  }
  return names;
}

/**
 * `https://app.example.com, null, *`: each an origin as browsers send it (scheme,
 * host, optional port, nothing else), `null`, or `*`.
 */
function parseOriginList(raw: string, source: string): readonly string[] {
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    if (origin === '*' || origin === 'null') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {}
    if (parsed?.origin !== origin.toLowerCase()) {
      throw new ConfigError(
        `Invalid ${source}: expected comma-separated origins such as https://app.example.com, got '${origin}'`,
      );
    }
  }
  return origins.map((origin) => origin.toLowerCase());
}

function parseInteger(raw: string, source: string, option: IntOption): number {
  const value = /^[0-9]{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < option.min || value > option.max) {
    throw new ConfigError(
      `Invalid ${source}: expected a whole number from ${option.min} to ${option.max}, got '${raw}'`,
    );
  }
  return value;
}

function checkDefaultWithinMax(value: number, max: number, name: string, maxName: string): void {
  if (value > max) {
    throw new ConfigError(`Invalid ${name}: ${value} is above ${maxName} (${max})`);
  }
}

/** Where the CLI's client commands find the hub: `SWITCHBOARD_URL`, else the local default. */
export function hubUrlFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return env.SWITCHBOARD_URL || 'http://127.0.0.1:8080';
}

/**
 * The bearer token the CLI's client commands send: `SWITCHBOARD_TOKEN`, so it
 * stays out of `ps` output (a `--token` flag wins over it).
 */
export function hubTokenFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.SWITCHBOARD_TOKEN || undefined;
}

/** `--help` text, generated from the same table the loader reads. */
export function configHelp(): string {
  const rows = [
    ...STRING_OPTIONS.map((o) => [
      o.flag ? `--${o.flag}` : '(no flag)',
      o.env,
      `${o.help}${o.default ? ` (default ${o.default})` : ''}`,
    ]),
    ...INT_OPTIONS.map((o) => [`--${o.flag}`, o.env, `${o.help} (default ${o.default})`]),
  ];
  // Columns as wide as their longest entry, so no long flag pushes its row out of line.
  const flagWidth = Math.max(...rows.map(([flag]) => flag?.length ?? 0));
  const envWidth = Math.max(...rows.map(([, env]) => env?.length ?? 0));
  const lines = rows.map(
    ([flag = '', env = '', help]) =>
      `  ${flag.padEnd(flagWidth)}  ${env.padEnd(envWidth)}  ${help}`,
  );
  return `Usage: switchboard serve [flags]   (or: npm start -- [flags])\n\nEvery flag has an environment variable; a flag wins over its variable.\n\n${lines.join('\n')}\n`;
}
