import { requireTopic } from '../auth.js';
import type { Hub } from '../core/hub.js';
import type { Webhook } from '../domain/webhook.js';
import { ErrorCode, HubError } from '../errors.js';
import { jsonReply, type Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';

/** Danketsu's answers: a status and no body, whatever happened ([P-DANKETSU]). */
const EMPTY_200: Reply = { status: 200, headers: {}, body: null };
const EMPTY_400: Reply = { status: 400, headers: {}, body: null };

/**
 * `POST /danketsu/api/v1/`: Danketsu's one endpoint. `{"action": "register" |
 * "unregister", "event", "address"}` or `{"action": "fire", "event",
 * "payload": "<a string>"}`, keys in any case (as Go's decoder reads them);
 * 200 with no body, or 400 with no body for anything malformed. Registering
 * makes a webhook of the topic named `event` in Danketsu's format; firing
 * publishes `payload` to that topic. The hub's own refusals (a full topic,
 * a token that may not) keep their statuses and error bodies.
 */
export async function danketsuReply(hub: Hub, request: ExchangeRequest): Promise<Reply> {
  const command = danketsuCommand(await request.body());
  if (!command) return EMPTY_400;
  const { action, event, address, payload } = command;
  const grant = request.grant;
  try {
    if (action === 'fire') {
      if (payload === undefined) return EMPTY_400;
      if (grant) requireTopic(grant, 'publish', event);
      await hub.topics.publish(event, Buffer.from(payload));
      await hub.webhooks.recordFire(event);
      return EMPTY_200;
    }
    if (address === undefined) return EMPTY_400;
    if (grant) requireTopic(grant, 'subscribe', event);
    if (action === 'register') await hub.webhooks.register(event, address, 'danketsu');
    else await hub.webhooks.unregister(event, address);
    return EMPTY_200;
  } catch (error) {
    // A name or an address the hub cannot take is Danketsu's malformed input.
    if (error instanceof HubError && MALFORMED.has(error.code)) return EMPTY_400;
    throw error;
  }
}

const MALFORMED: ReadonlySet<string> = new Set([
  ErrorCode.InvalidTopicName,
  ErrorCode.InvalidHeader,
]);

interface DanketsuCommand {
  readonly action: 'register' | 'unregister' | 'fire';
  readonly event: string;
  readonly address: string | undefined;
  readonly payload: string | undefined;
}

/** Danketsu's body, keys in any case; undefined for anything it would refuse. */
function danketsuCommand(body: Uint8Array): DanketsuCommand | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) fields[key.toLowerCase()] = field;
  const { action, event, address, payload } = fields;
  if (action !== 'register' && action !== 'unregister' && action !== 'fire') return undefined;
  if (typeof event !== 'string' || event === '') return undefined;
  if (address !== undefined && typeof address !== 'string') return undefined;
  if (payload !== undefined && typeof payload !== 'string') return undefined;
  return { action, event, address, payload };
}

/**
 * `GET /danketsu/status/`: `{"Events", "Callbacks"}` as Danketsu names them,
 * right this time: events fired in the last 24 hours and callbacks registered
 * now, in all, then per event (`ByEvent`).
 */
export async function danketsuStatusReply(hub: Hub): Promise<Reply> {
  const [fires, webhooks] = await Promise.all([hub.webhooks.fires(), hub.webhooks.list()]);
  const byEvent: Record<string, { Events: number; Callbacks: number }> = {};
  const entry = (event: string) => {
    byEvent[event] ??= { Events: 0, Callbacks: 0 };
    return byEvent[event];
  };
  let events = 0;
  for (const [event, count] of Object.entries(fires)) {
    entry(event).Events += count;
    events += count;
  }
  for (const webhook of webhooks) entry(webhook.topic).Callbacks++;
  return jsonReply({ Events: events, Callbacks: webhooks.length, ByEvent: byEvent });
}

/** `POST /topics/<t>/webhooks` `{"address"}`: a webhook of the topic's messages as they are (201, with its secret). */
export async function addWebhookReply(
  hub: Hub,
  request: ExchangeRequest,
  topic: string,
): Promise<Reply> {
  let address: unknown;
  try {
    address = (
      JSON.parse(Buffer.from(await request.body()).toString('utf8')) as { address?: unknown }
    ).address;
  } catch {
    address = undefined;
  }
  if (typeof address !== 'string') {
    throw new HubError(ErrorCode.InvalidJson, 'send {"address": "https://..."}');
  }
  return jsonReply(await webhookView(hub, await hub.webhooks.register(topic, address, 'raw')), 201);
}

/** `GET /webhooks`: every webhook with its secret, position and dead letters (an operator's). */
export async function webhookListReply(hub: Hub): Promise<Reply> {
  const webhooks = await hub.webhooks.list();
  return jsonReply(await Promise.all(webhooks.map((webhook) => webhookView(hub, webhook))));
}

/** `DELETE /webhooks/<id>`. */
export async function webhookDeleteReply(hub: Hub, id: string): Promise<Reply> {
  await hub.webhooks.remove(id);
  return { status: 204, headers: {}, body: null };
}

export async function deadLettersReply(hub: Hub, id: string): Promise<Reply> {
  return jsonReply(await hub.webhooks.deadLetters(id));
}

/** `POST /webhooks/<id>/replay`: its dead letters are delivered again, before what comes next. */
export async function replayReply(hub: Hub, id: string): Promise<Reply> {
  return jsonReply({ replaying: await hub.webhooks.replay(id) });
}

async function webhookView(hub: Hub, webhook: Webhook) {
  return { ...webhook, deadLetters: (await hub.webhooks.deadLetters(webhook.id)).length };
}
