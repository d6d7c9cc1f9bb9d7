/**
 * The Redis store's topic transitions, one Lua script each, atomic across
 * replicas like the job scripts (scripts.ts). Every key lives under the hub's
 * hash tag (`KEYS[1]`); docs/scale-out.md lists them:
 *
 * - `{p}:topics`: the set of topic names;
 * - `{p}:topicBytes`: bytes kept in all topics;
 * - `{p}:t:<topic>`: the topic's figures and retention (a hash);
 * - `{p}:tm:<topic>`: its kept messages, id → `<publishedAt>:<body>` (a hash).
 *
 * Each script's arguments: the time, the topic, then its own. Publishing tells
 * every replica on `{p}:pub`: `<topic>\n<id>\n<publishedAt>\n<body>`, or
 * `<topic>\n-1` when the topic is deleted.
 */
import { withPrelude } from './define-scripts.js';

/** The helpers every topic script shares: a topic's figures in and out, expiry, trimming. */
const PRELUDE = `
local K = KEYS[1]
local now = tonumber(ARGV[1])
local name = ARGV[2]
local tk = K .. ':t:' .. name
local mk = K .. ':tm:' .. name
local FIELDS = {'createdAt', 'seq', 'first', 'bytes', 'queue', 'expired', 'dropped',
  'maxAgeMs', 'maxMessages', 'maxBytes', 'discard'}

-- The topic's figures as a table; nil when it does not exist.
local function load()
  local values = redis.call('HMGET', tk, unpack(FIELDS))
  if not values[1] then return nil end
  local t = {}
  for i, field in ipairs(FIELDS) do
    t[field] = field == 'discard' and values[i] or tonumber(values[i])
  end
  return t
end

local function save(t)
  local flat = {}
  for _, field in ipairs(FIELDS) do
    flat[#flat + 1] = field
    flat[#flat + 1] = t[field]
  end
  redis.call('HSET', tk, unpack(flat))
end

-- A topic that does not exist yet, with the retention given; nil when there are too many.
local function create(maxTopics, retention)
  if redis.call('SCARD', K .. ':topics') >= maxTopics then return nil end
  redis.call('SADD', K .. ':topics', name)
  return {createdAt = now, seq = 0, first = 0, bytes = 0, queue = 0, expired = 0, dropped = 0,
    maxAgeMs = retention[1], maxMessages = retention[2], maxBytes = retention[3],
    discard = retention[4]}
end

-- A kept message: its time and body.
local function at(id)
  local value = redis.call('HGET', mk, id)
  local colon = string.find(value, ':', 1, true)
  return tonumber(string.sub(value, 1, colon - 1)), string.sub(value, colon + 1)
end

-- Drops the oldest kept message; counts it when the queue never handed it out.
local function shift(t, counter)
  local _, body = at(t.first)
  redis.call('HDEL', mk, t.first)
  if t.first >= t.queue and counter then t[counter] = t[counter] + 1 end
  t.first = t.first + 1
  t.bytes = t.bytes - #body
  redis.call('DECRBY', K .. ':topicBytes', #body)
end

-- Removes the messages past their age: ids are in publish order, so are ages.
local function expire(t)
  while t.first < t.seq do
    local publishedAt = at(t.first)
    if publishedAt > now - t.maxAgeMs then break end
    shift(t, 'expired')
  end
end

local function figures(t)
  local queued = t.seq - math.max(t.queue, t.first)
  return {name, t.createdAt, t.seq, t.first, t.bytes, queued, t.expired, t.dropped,
    t.maxAgeMs, t.maxMessages, t.maxBytes, t.discard}
end
`;

const TOPIC_SCRIPTS = {
  /** ARGV: now, topic, body, maxTopics, maxTotalBytes, then the default retention (4). */
  sbTopicPublish: `
local body = ARGV[3]
local maxTopics = tonumber(ARGV[4])
local maxTotal = tonumber(ARGV[5])
local t = load()
if not t then
  t = create(maxTopics, {tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]})
  if not t then return {'too_many_topics', redis.call('SCARD', K .. ':topics')} end
end
expire(t)
local size = #body
local function total() return tonumber(redis.call('GET', K .. ':topicBytes') or '0') end
local function overOwn()
  return t.seq - t.first + 1 > t.maxMessages or t.bytes + size > t.maxBytes
end
-- Room comes first from what the queue has handed out, then, for a broadcast
-- topic (discard 'old'), from the oldest.
while (overOwn() or total() + size > maxTotal) and t.first < t.seq do
  if t.first >= t.queue and t.discard == 'new' then break end
  shift(t, 'dropped')
end
if overOwn() then
  save(t)
  return {'topic_full', t.seq - t.first, t.bytes}
end
if total() + size > maxTotal then
  save(t)
  return {'topics_full', total()}
end
local id = t.seq
redis.call('HSET', mk, id, now .. ':' .. body)
t.seq = id + 1
t.bytes = t.bytes + size
redis.call('INCRBY', K .. ':topicBytes', size)
save(t)
redis.call('PUBLISH', K .. ':pub', name .. '\\n' .. id .. '\\n' .. now .. '\\n' .. body)
return {'ok', id}
`,

  /** ARGV: now, topic. The queue's next message: {id, publishedAt, body}, or {}. */
  sbTopicPull: `
local t = load()
if not t then return {} end
expire(t)
if t.queue < t.first then t.queue = t.first end
if t.queue >= t.seq then
  save(t)
  return {}
end
local id = t.queue
local publishedAt, body = at(id)
t.queue = id + 1
save(t)
return {id, publishedAt, body}
`,

  /** ARGV: now, topic, after, count. {first, seq, id, publishedAt, body, id, …}. */
  sbTopicRead: `
local t = load()
if not t then return {0, 0} end
expire(t)
save(t)
local from = math.max(tonumber(ARGV[3]) + 1, t.first)
local to = math.min(t.seq, from + tonumber(ARGV[4]))
local reply = {t.first, t.seq}
for id = from, to - 1 do
  local publishedAt, body = at(id)
  reply[#reply + 1] = id
  reply[#reply + 1] = publishedAt
  reply[#reply + 1] = body
end
return reply
`,

  /** ARGV: now, topic (unused: every topic). Each topic's figures, after expiry. */
  sbTopicList: `
local reply = {}
for _, each in ipairs(redis.call('SMEMBERS', K .. ':topics')) do
  name = each
  tk = K .. ':t:' .. name
  mk = K .. ':tm:' .. name
  local t = load()
  if t then
    expire(t)
    save(t)
    reply[#reply + 1] = figures(t)
  end
end
return reply
`,

  /** ARGV: now, topic. Its figures after expiry, or {} when it does not exist. */
  sbTopicInfo: `
local t = load()
if not t then return {} end
expire(t)
save(t)
return figures(t)
`,

  /** ARGV: now, topic, maxTopics, then the retention (4). Sets it and applies it at once. */
  sbTopicConfigure: `
local retention = {tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]}
local t = load() or create(tonumber(ARGV[3]), retention)
if not t then return {'too_many_topics', redis.call('SCARD', K .. ':topics')} end
t.maxAgeMs, t.maxMessages, t.maxBytes, t.discard = retention[1], retention[2], retention[3], retention[4]
expire(t)
while t.first < t.seq and (t.seq - t.first > t.maxMessages or t.bytes > t.maxBytes) do
  shift(t, 'dropped')
end
save(t)
return {'ok', figures(t)}
`,

  /** ARGV: now, topic. 1 when it existed. */
  sbTopicRemove: `
local t = load()
if not t then return 0 end
redis.call('DECRBY', K .. ':topicBytes', t.bytes)
redis.call('DEL', tk, mk)
redis.call('SREM', K .. ':topics', name)
redis.call('PUBLISH', K .. ':pub', name .. '\\n-1')
return 1
`,
} as const;

/** Each topic script with the shared helpers before it. */
export const TOPIC_SCRIPT_SOURCES = withPrelude(PRELUDE, TOPIC_SCRIPTS);
