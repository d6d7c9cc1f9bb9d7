import type { Topics } from '../core/topics.js';
import type { TopicRetention } from '../domain/topic.js';
import { ErrorCode, echoed, HubError } from '../errors.js';
import { Header } from '../protocol.js';
import { methodNotAllowedReply } from './error-status.js';
import { versionFilter } from './event-filter.js';
import { parseMilliseconds } from './header-parsers.js';
import { jsonReply, type Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';
import { msgbusMessage, topicListing } from './topic-json.js';
import { topicStreamReply } from './topic-stream.js';

/**
 * `PUT`/`POST /topics/<t>`: publishes the body, any bytes. msgbus's 2018
 * clients read the text of the 200; the id also comes as `Hub-Message-Id`.
 */
export async function publishReply(topics: Topics, request: ExchangeRequest, topic: string) {
  const message = await topics.publish(topic, await request.body());
  return {
    status: 200,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      [Header.MessageId]: String(message.id),
    },
    body: `message successfully published to ${topic} with sequence ${message.id}`,
  };
}

/**
 * `GET /topics/<t>`: with `Accept: text/event-stream`, a subscription; with
 * `?after=<id>`, the next message after that id, for a consumer of its own;
 * otherwise msgbus's queue, each message to one puller. `?wait=<ms>` waits for
 * one when none is there.
 */
export async function topicGetReply(
  topics: Topics,
  request: ExchangeRequest,
  topic: string,
): Promise<Reply> {
  // Hono runs GET handlers for HEAD and drops the body: a HEAD pull would consume a message.
  if (request.method === 'HEAD') return methodNotAllowedReply('HEAD', ['GET']);
  if (request.headers.get('accept')?.includes('text/event-stream')) {
    const resume = request.headers.get('last-event-id') ?? request.query('after');
    return topicStreamReply(
      topics,
      topic,
      parseAfter(resume, 'new'),
      versionFilter(request.query('version')),
    );
  }
  const waitMs = parseMilliseconds(request.query('wait'), '?wait');
  const after = request.query('after');
  const gone = request.gone();
  if (after === undefined) {
    const message = await topics.pull(topic, waitMs, gone);
    if (!message) throw noMessages(topic);
    return messageReply(msgbusMessage(topic, await topics.head(topic), message));
  }
  const read = await topics.read(topic, parseAfter(after, -1), waitMs, gone);
  if (!read.message) throw noMessages(topic);
  const body = msgbusMessage(topic, await topics.head(topic), read.message);
  return read.skipped > 0
    ? messageReply(body, { [Header.Skipped]: String(read.skipped) })
    : messageReply(body);
}

/** `GET /topics/`: every topic, keyed by name, as msgbus lists them, with Switchboard's figures. */
export async function topicListReply(topics: Topics): Promise<Reply> {
  const listing: Record<string, ReturnType<typeof topicListing>> = {};
  for (const info of await topics.list()) {
    listing[info.name] = topicListing(info, topics.subscribers(info.name));
  }
  return jsonReply(listing);
}

/** `DELETE /topics/<t>`: the topic and its messages go; its subscribers are let go. */
export async function topicDeleteReply(topics: Topics, topic: string): Promise<Reply> {
  if (!(await topics.remove(topic))) {
    throw new HubError(ErrorCode.UnknownTopic, `no topic '${topic}'`);
  }
  return { status: 204, headers: {}, body: null };
}

/** `PATCH /topics/<t>`: sets its retention (the settings not named keep their values). */
export async function topicPatchReply(
  topics: Topics,
  request: ExchangeRequest,
  topic: string,
): Promise<Reply> {
  const current = (await topics.info(topic))?.retention ?? topics.defaultRetention;
  const retention = parseRetention(await request.body(), current);
  const info = await topics.configure(topic, retention);
  return jsonReply(topicListing(info, topics.subscribers(topic)));
}

function messageReply(body: string, extra: Record<string, string> = {}): Reply {
  return { status: 200, headers: { 'content-type': 'application/json', ...extra }, body };
}

function noMessages(topic: string): HubError {
  // msgbus's own words, which its users know.
  return new HubError(ErrorCode.NoMessages, `no messages enqueued for topic: ${topic}`);
}

/** A cursor: a message id, or -1 for "before the oldest"; `fallback` when absent. */
function parseAfter<T extends number | 'new'>(raw: string | undefined, fallback: T): number | T {
  if (raw === undefined) return fallback;
  if (!/^(-1|[0-9]{1,15})$/.test(raw)) {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `?after (or Last-Event-ID) must be a message id or -1, got '${echoed(raw)}'`,
    );
  }
  return Number(raw);
}

/** The largest a retention number may be: within what JSON and Lua count exactly. */
const MAX_SETTING = 2 ** 52;

/** `PATCH`'s body: some of `maxAgeMs`, `maxMessages`, `maxBytes` (whole, ≥ 1) and `discard`. */
function parseRetention(body: Uint8Array, current: TopicRetention): TopicRetention {
  const fail = (why: string) => new HubError(ErrorCode.InvalidRetention, why);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw fail('send a JSON object: {"maxAgeMs", "maxMessages", "maxBytes", "discard"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('send a JSON object: {"maxAgeMs", "maxMessages", "maxBytes", "discard"}');
  }
  const given = value as Record<string, unknown>;
  const next: Record<string, unknown> = { ...current };
  for (const [key, setting] of Object.entries(given)) {
    if (key === 'discard') {
      if (setting !== 'new' && setting !== 'old') throw fail(`discard is 'new' or 'old'`);
    } else if (key === 'maxAgeMs' || key === 'maxMessages' || key === 'maxBytes') {
      if (
        !Number.isInteger(setting) ||
        (setting as number) < 1 ||
        (setting as number) > MAX_SETTING
      ) {
        throw fail(`${key} must be a whole number from 1 to ${MAX_SETTING}`);
      }
    } else {
      throw fail(`unknown setting '${echoed(key)}': maxAgeMs, maxMessages, maxBytes, discard`);
    }
    next[key] = setting;
  }
  return next as unknown as TopicRetention;
}
