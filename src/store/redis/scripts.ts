/**
 * The Redis store's transitions, one Lua script each: Redis runs a script
 * whole, with nothing of another client's in between, so two replicas can never
 * hand one job to two workers or end one job twice. Every key lives under one
 * hash tag (`KEYS[1]`, the hub's `{prefix}`), so the scripts also run on Redis
 * Cluster. docs/scale-out.md lists every key.
 *
 * Every script takes the same head of arguments (the time, the replica, and
 * the `SETTINGS` built once by the store), then its own. Times are the hub's (epoch ms, passed in), never Redis's
 * clock, so replicas agree with their own clocks and tests can use mock time.
 */
import { withPrelude } from './define-scripts.js';

/**
 * The settings every script gets, in this order, as one argument: a JSON
 * array of numbers. One bulk string instead of twelve is most of what a script
 * call costs the hub to write, and cjson reads it in a fifth of the time
 * `string.gmatch` took (about 2 µs against 10, on every script).
 */
export const SETTINGS = [
  'leaseMs',
  'leaseAfterFirstHeartbeat',
  'finishedTtlMs',
  'workerWindowMs',
  'maxQueued',
  'maxServices',
  'resultTtlMs',
  'maxResults',
  'maxResultBytes',
  'maxResultsPerService',
  'maxResultBytesPerService',
  'maxWorkers',
] as const;

/** Where a script's own arguments begin: after the time, the replica and the settings. */
const OWN = 4;

/**
 * What every script shares: key names, the settings, and the steps several
 * transitions take (a hand-out, its end, a job's end and its run's).
 */
const PRELUDE = `
local K = KEYS[1]
local now = tonumber(ARGV[1])
local me = ARGV[2]
local S = cjson.decode(ARGV[3])
local leaseMs = S[1]
local leaseAfterFirstHeartbeat = S[2] == 1
local finishedTtlMs = S[3]
local workerWindowMs = S[4]
local maxQueued = S[5]
local maxServices = S[6]
local resultTtlMs = S[7]
local maxResults = S[8]
local maxResultBytes = S[9]
local maxResultsPerService = S[10]
local maxResultBytesPerService = S[11]
local maxWorkers = S[12]
local OWN = ${OWN}

-- Keys that outlive nothing they describe get this much more time than the
-- longest they are needed, so a replica's late step still finds them.
local MARGIN_MS = 60000

local function sKey(service) return K .. ':s:' .. service end
local function qKey(service) return K .. ':q:' .. service end
local function wKey(service) return K .. ':w:' .. service end
local function wfKey(service) return K .. ':wf:' .. service end
local function jKey(id) return K .. ':j:' .. id end
local function dKey(id) return K .. ':d:' .. id end
local function fKey(id) return K .. ':f:' .. id end
local function rKey(id) return K .. ':r:' .. id end
local function kKey(key) return K .. ':k:' .. key end
local function doneKey(service) return K .. ':done:' .. service end

-- Whether a service keeps nothing but counters: it may then be forgotten.
local function idle(service)
  return redis.call('LLEN', qKey(service)) == 0
    and tonumber(redis.call('HGET', sKey(service), 'inFlight') or '0') == 0
end

local function forget(service)
  redis.call('DEL', sKey(service), qKey(service), wKey(service), wfKey(service))
  redis.call('ZREM', K .. ':services', service)
end

-- Makes a service known (at most maxServices: an idle one is forgotten to make
-- room). Returns false when every tracked service is busy.
local function track(service)
  if redis.call('ZSCORE', K .. ':services', service) then return true end
  if redis.call('ZCARD', K .. ':services') >= maxServices then
    local made = false
    for _, name in ipairs(redis.call('ZRANGE', K .. ':services', 0, -1)) do
      if idle(name) then
        forget(name)
        made = true
        break
      end
    end
    if not made then return false end
  end
  redis.call('ZADD', K .. ':services', redis.call('INCR', K .. ':seq'), service)
  return true
end

local function see(service, worker)
  redis.call('HSET', sKey(service), 'lastSeenAt', now)
  -- Only a worker new to the list can take it past its bounds: known ones
  -- just move, and the listing leaves out those unseen past the window.
  if redis.call('ZADD', wKey(service), now, worker) == 0 then return end
  -- The longest unseen go first, past the window (unless they hold jobs) or past maxWorkers.
  local stale = redis.call('ZRANGEBYSCORE', wKey(service), '-inf', now - workerWindowMs - 1)
  for _, old in ipairs(stale) do
    if tonumber(redis.call('HGET', wfKey(service), old) or '0') == 0 then
      redis.call('ZREM', wKey(service), old)
      redis.call('HDEL', wfKey(service), old)
    end
  end
  local extra = redis.call('ZCARD', wKey(service)) - maxWorkers
  if extra > 0 then
    for _, old in ipairs(redis.call('ZRANGE', wKey(service), 0, extra - 1)) do
      redis.call('ZREM', wKey(service), old)
      redis.call('HDEL', wfKey(service), old)
    end
  end
end

-- Tells every replica but this one that work may be waiting (this one tells itself).
local function tellWork(service)
  redis.call('PUBLISH', K .. ':work', me .. ' ' .. service)
end

local function queue(id, service, atHead, fresh)
  -- A fresh job's fields were written with these already.
  if not fresh then redis.call('HSET', jKey(id), 'state', 'q', 'at', now, 'd', '') end
  if atHead then redis.call('LPUSH', qKey(service), id) else redis.call('RPUSH', qKey(service), id) end
  tellWork(service)
end

-- Hands a queued job out under delivery id d; returns the reply for the take.
-- f: the job's blob, deadline and when it was queued, read by the take.
local function handOut(id, f, d, service, worker, taker)
  local job = jKey(id)
  local attempts = redis.call('HINCRBY', job, 'attempts', 1)
  local deadline = tonumber(f[2])
  local queuedMs = now - tonumber(f[3])
  local lease = leaseMs
  if leaseAfterFirstHeartbeat then
    lease = math.max(0, deadline - now)
  else
    redis.call('ZADD', K .. ':leases', now + leaseMs, d)
  end
  redis.call('HSET', job, 'state', 'h', 'd', d, 'w', worker, 'taker', taker)
  redis.call('SET', dKey(d), id, 'PX', math.max(deadline - now, 0) + MARGIN_MS)
  redis.call('HINCRBY', sKey(service), 'inFlight', 1)
  redis.call('HINCRBY', wfKey(service), worker, 1)
  return { f[1], d, attempts, lease, queuedMs }
end

-- Ends the job's current hand-out; remembers its id as state for late requests
-- (none for a release). Returns the replica to tell, or false.
local function endHandOut(id, state)
  local job = jKey(id)
  local f = redis.call('HMGET', job, 'd', 'service', 'w', 'taker')
  local d, service, worker, taker = f[1], f[2], f[3], f[4]
  if not d or d == '' then return false end
  redis.call('DEL', dKey(d))
  redis.call('ZREM', K .. ':leases', d)
  redis.call('HINCRBY', sKey(service), 'inFlight', -1)
  if tonumber(redis.call('HINCRBY', wfKey(service), worker, -1)) <= 0 then
    redis.call('HDEL', wfKey(service), worker)
  end
  redis.call('HSET', job, 'd', '')
  if state then redis.call('SET', fKey(d), state, 'PX', finishedTtlMs) end
  -- A WebSocket holds it: its replica (this one too) hears that it ended.
  if taker and taker ~= '' then redis.call('PUBLISH', K .. ':o:' .. taker, 'H' .. d) end
  return d
end

-- Forgets a finished run, with its key if the key still leads to it.
local function dropRun(id)
  local run = rKey(id)
  local service = redis.call('HGET', run, 'service')
  local key = redis.call('HGET', run, 'ikey')
  local bytes = tonumber(redis.call('HGET', run, 'bytes') or '0')
  if key and key ~= '' and redis.call('GET', kKey(key)) == id then redis.call('DEL', kKey(key)) end
  redis.call('DEL', run)
  if redis.call('ZREM', K .. ':done', id) == 1 then
    redis.call('HINCRBY', K .. ':doneBytes', '', -bytes)
  end
  if service then
    redis.call('ZREM', doneKey(service), id)
    if tonumber(redis.call('HINCRBY', K .. ':doneBytes', service, -bytes)) <= 0 then
      redis.call('HDEL', K .. ':doneBytes', service)
    end
  end
end

-- Drops finished runs past their time to live; they leave in finishing order.
local function dropExpiredRuns()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K .. ':done', '-inf', now - resultTtlMs)) do
    dropRun(id)
  end
end

-- Keeps a run's outcome: within the caps in all and per service, oldest first.
local function finishRun(id, outcome, bytes, isError)
  local run = rKey(id)
  local service = redis.call('HGET', run, 'service')
  if not service then return end
  redis.call('HSET', run, 'outcome', outcome, 'bytes', bytes)
  redis.call('PEXPIRE', run, resultTtlMs + MARGIN_MS)
  local key = redis.call('HGET', run, 'ikey')
  if key and key ~= '' and redis.call('GET', kKey(key)) == id then
    -- Only answers keep their key: a retry after a hub-side failure runs again.
    if isError then redis.call('DEL', kKey(key)) else redis.call('PEXPIRE', kKey(key), resultTtlMs + MARGIN_MS) end
  end
  -- Ordered by when they finished, ties within a millisecond by finishing
  -- order (a fraction of the millisecond): the caps drop the oldest first.
  local clock = redis.call('HMGET', K .. ':doneClock', 'ms', 'n')
  local n = 0
  if tonumber(clock[1] or '0') == now then n = math.min(tonumber(clock[2]) + 1, 4095) end
  redis.call('HSET', K .. ':doneClock', 'ms', now, 'n', n)
  local at = now + n / 4096
  redis.call('ZADD', K .. ':done', at, id)
  redis.call('ZADD', doneKey(service), at, id)
  local all = redis.call('HINCRBY', K .. ':doneBytes', '', bytes)
  local mine = redis.call('HINCRBY', K .. ':doneBytes', service, bytes)
  while redis.call('ZCARD', doneKey(service)) > maxResultsPerService or mine > maxResultBytesPerService do
    local oldest = redis.call('ZRANGE', doneKey(service), 0, 0)[1]
    if not oldest then break end
    dropRun(oldest)
    mine = tonumber(redis.call('HGET', K .. ':doneBytes', service) or '0')
  end
  all = tonumber(redis.call('HGET', K .. ':doneBytes', '') or '0')
  while redis.call('ZCARD', K .. ':done') > maxResults or all > maxResultBytes do
    local oldest = redis.call('ZRANGE', K .. ':done', 0, 0)[1]
    if not oldest then break end
    dropRun(oldest)
    all = tonumber(redis.call('HGET', K .. ':doneBytes', '') or '0')
  end
end

-- Ends a job wherever it is: out of its queue or off its worker, its run finished,
-- its outcome told. Returns true when the caller's replica is this one and
-- publish is not forced: this replica then tells itself. Runs are told to every
-- replica, this one included.
local function endJob(id, state, outcome, bytes, isError, publish)
  local job = jKey(id)
  local f = redis.call('HMGET', job, 'service', 'state', 'origin', 'run')
  local service, origin, isRun = f[1], f[3], f[4] == '1'
  if f[2] == 'q' then redis.call('LREM', qKey(service), 1, id) end
  endHandOut(id, state)
  redis.call('DEL', job)
  redis.call('ZREM', K .. ':deadlines', id)
  if isRun then
    finishRun(id, outcome, bytes, isError)
    redis.call('PUBLISH', K .. ':runs', 'E' .. id .. ' ' .. outcome)
    return false
  end
  if origin == me and not publish then return true end
  redis.call('PUBLISH', K .. ':o:' .. origin, 'E' .. id .. ' ' .. outcome)
  return false
end

-- The state of a delivery that is not current: how it ended, or 'unknown'.
local function gone(d)
  return redis.call('GET', fKey(d)) or 'unknown'
end

-- The job a current delivery holds and its service, its worker seen; false
-- when not current.
local function held(d)
  local id = redis.call('GET', dKey(d))
  if not id then return false end
  local f = redis.call('HMGET', jKey(id), 'service', 'w')
  if not f[1] then return false end
  see(f[1], f[2])
  return id, f[1]
end

-- Hands the job out again while attempts and time remain, else fails it with
-- message (its error outcome, encoded by the caller or here).
local function retryOrFail(id, message, failedOutcome)
  local f = redis.call('HMGET', jKey(id), 'service', 'attempts', 'deadline', 'max', 'flow')
  local service, flow = f[1], f[5]
  local attempts, deadline, max = tonumber(f[2]), tonumber(f[3]), tonumber(f[4])
  if attempts >= max or now >= deadline then
    redis.call('HINCRBY', sKey(service), 'failed', 1)
    local here = endJob(id, 'lease_lost', failedOutcome, 0, true, false)
    return { 'failed', service, id, flow, attempts, here and 1 or 0 }
  end
  endHandOut(id, 'lease_lost')
  redis.call('HINCRBY', sKey(service), 'redelivered', 1)
  queue(id, service, true)
  return { 'retrying', service, id, flow, attempts, 0 }
end

-- Takes up to count jobs of service within bytes, for worker; delivery ids come
-- from ARGV from index first on.
-- Returns false when the service cannot be tracked (too many services).
local function take(service, count, bytes, worker, parkedUntil, taker, first)
  if not track(service) then return false end
  see(service, worker)
  local taken = {}
  local total = 0
  while #taken < count do
    local id = redis.call('LPOP', qKey(service))
    if not id then break end
    local f = redis.call('HMGET', jKey(id), 'blob', 'deadline', 'at', 'bytes')
    -- No fields: its job expired with its deadline (its hub gone), and is skipped.
    if f[4] then
      total = total + tonumber(f[4])
      if total > bytes then
        redis.call('LPUSH', qKey(service), id)
        break
      end
      taken[#taken + 1] = handOut(id, f, ARGV[first + #taken], service, worker, taker)
    end
  end
  if #taken == 0 and parkedUntil > 0 then
    local known = tonumber(redis.call('HGET', sKey(service), 'parkedUntil') or '0')
    if parkedUntil > known then redis.call('HSET', sKey(service), 'parkedUntil', parkedUntil) end
  end
  return taken
end
`;

/** enqueue: jobId service blob deadline maxAttempts bytes flowId requireWorkers isRun ikey fingerprint */
const ENQUEUE = `
local id, service, blob = ARGV[OWN], ARGV[OWN + 1], ARGV[OWN + 2]
local deadline, max, bytes, flow = tonumber(ARGV[OWN + 3]), ARGV[OWN + 4], ARGV[OWN + 5], ARGV[OWN + 6]
local requireWorkers, isRun, ikey, fingerprint = ARGV[OWN + 7] == '1', ARGV[OWN + 8] == '1', ARGV[OWN + 9], ARGV[OWN + 10]
if isRun then
  dropExpiredRuns()
  if ikey ~= '' then
    local existing = redis.call('GET', kKey(ikey))
    -- A run whose job is past its deadline is as good as timed out (its hub is
    -- giving it up now): the key goes to the new run.
    local deadline = existing and tonumber(redis.call('HGET', jKey(existing), 'deadline') or '0') or 0
    local lapsed = deadline > 0 and deadline <= now
    if existing and not lapsed and redis.call('EXISTS', rKey(existing)) == 1 then
      local run = redis.call('HMGET', rKey(existing), 'service', 'fp', 'outcome')
      return { 'joined', existing, run[1], run[2] or '', run[3] or '' }
    end
  end
end
if requireWorkers then
  local s = redis.call('HMGET', sKey(service), 'inFlight', 'parkedUntil', 'lastSeenAt')
  local lastSeenAt = tonumber(s[3] or '0')
  local present = tonumber(s[1] or '0') > 0 or tonumber(s[2] or '0') > now
    or (lastSeenAt > 0 and now - lastSeenAt <= workerWindowMs)
  if not present then return { 'no_workers', lastSeenAt } end
end
if not track(service) then return { 'too_many_services', redis.call('ZCARD', K .. ':services') } end
local queued = redis.call('LLEN', qKey(service))
if queued >= maxQueued then
  redis.call('HINCRBY', sKey(service), 'rejected', 1)
  return { 'queue_full', queued }
end
local ttl = math.max(deadline - now, 0) + MARGIN_MS
redis.call('HSET', jKey(id), 'blob', blob, 'service', service, 'deadline', deadline, 'max', max,
  'bytes', bytes, 'flow', flow, 'origin', me, 'run', isRun and '1' or '0', 'attempts', 0,
  'state', 'q', 'at', now, 'd', '')
redis.call('PEXPIRE', jKey(id), ttl)
redis.call('ZADD', K .. ':deadlines', deadline, id)
redis.call('HINCRBY', sKey(service), 'calls', 1)
if isRun then
  redis.call('HSET', rKey(id), 'service', service, 'fp', fingerprint, 'ikey', ikey)
  redis.call('PEXPIRE', rKey(id), ttl + resultTtlMs)
  if ikey ~= '' then redis.call('SET', kKey(ikey), id, 'PX', ttl + resultTtlMs) end
end
queue(id, service, false, true)
return { 'queued' }
`;

/** claim: service count bytes worker parkedUntil taker deliveryIds... Replies { taken, jobs still queued }. */
const CLAIM = `
local taken = take(ARGV[OWN], tonumber(ARGV[OWN + 1]), tonumber(ARGV[OWN + 2]), ARGV[OWN + 3],
  tonumber(ARGV[OWN + 4]), ARGV[OWN + 5], OWN + 6)
if not taken then return redis.error_reply('too_many_services') end
return { taken, redis.call('LLEN', qKey(ARGV[OWN])) }
`;

/**
 * answer: deliveryId outcome, then (answer and take) service count bytes worker
 * taker deliveryIds... Replies { told here (0/1), taken or gone state, job id,
 * jobs still queued, take refused (too many services: 1) }.
 */
const ANSWER = `
local d, outcome = ARGV[OWN], ARGV[OWN + 1]
local id, service = held(d)
if not id then return { 0, gone(d) } end
redis.call('HINCRBY', sKey(service), 'answered', 1)
local here = endJob(id, 'answered', outcome, #outcome, false, false) and 1 or 0
if ARGV[OWN + 2] then
  local taken = take(ARGV[OWN + 2], tonumber(ARGV[OWN + 3]), tonumber(ARGV[OWN + 4]), ARGV[OWN + 5], 0,
    ARGV[OWN + 6], OWN + 7)
  return { here, taken or {}, id, redis.call('LLEN', qKey(ARGV[OWN + 2])), taken and 0 or 1 }
end
return { here, {}, id, 0, 0 }
`;

/** heartbeat: deliveryId. Replies the lease's new end, or the gone state. */
const HEARTBEAT = `
local d = ARGV[OWN]
if not held(d) then return gone(d) end
redis.call('ZADD', K .. ':leases', now + leaseMs, d)
return now + leaseMs
`;

/** fail: deliveryId retry failedOutcome message. Replies the retry event, or the gone state. */
const FAIL = `
local d, retry, failedOutcome, message = ARGV[OWN], ARGV[OWN + 1] == '1', ARGV[OWN + 2], ARGV[OWN + 3]
local id, service = held(d)
if not id then return gone(d) end
if retry then return retryOrFail(id, message, failedOutcome) end
local f = redis.call('HMGET', jKey(id), 'flow', 'attempts')
local flow, attempts = f[1], f[2]
redis.call('HINCRBY', sKey(service), 'failed', 1)
local here = endJob(id, 'lease_lost', failedOutcome, 0, true, false)
return { 'failed', service, id, flow, tonumber(attempts), here and 1 or 0 }
`;

/** release: deliveryId. Replies the job's service when put back, else 0. */
const RELEASE = `
local d = ARGV[OWN]
local id = redis.call('GET', dKey(d))
if not id or not redis.call('HGET', jKey(id), 'service') then return 0 end
local service = redis.call('HGET', jKey(id), 'service')
redis.call('HINCRBY', jKey(id), 'attempts', -1)
endHandOut(id, false)
queue(id, service, true)
return service
`;

/**
 * giveUp: jobId outcome counter onlyQueued. Replies { outcome, told here }:
 * withdrawn, abandoned, settled (or, only queued, not_queued).
 */
const GIVE_UP = `
local id, outcome, counter, onlyQueued = ARGV[OWN], ARGV[OWN + 1], ARGV[OWN + 2], ARGV[OWN + 3] == '1'
local job = jKey(id)
local service = redis.call('HGET', job, 'service')
if not service then return { 'settled', 0 } end
local queued = redis.call('HGET', job, 'state') == 'q'
if onlyQueued and not queued then return { 'not_queued', 0 } end
redis.call('HINCRBY', sKey(service), counter, 1)
local here = endJob(id, 'caller_gone', outcome, 0, true, false) and 1 or 0
return { queued and 'withdrawn' or 'abandoned', here }
`;

/**
 * reap: deadlineGraceMs, then the encoded outcomes of a lapsed lease and of a
 * lapsed deadline are built here. Ends lapsed leases (retry or fail) and the
 * jobs of callers that are long past their deadline (their hub is gone).
 * Replies { next lease end or -1, retry events..., told-here job ids... }.
 */
const REAP = `
local grace = tonumber(ARGV[OWN])
local events = {}
for _, d in ipairs(redis.call('ZRANGEBYSCORE', K .. ':leases', '-inf', now)) do
  local id = redis.call('GET', dKey(d))
  if id and redis.call('HGET', jKey(id), 'service') then
    local attempts = redis.call('HGET', jKey(id), 'attempts')
    local max = redis.call('HGET', jKey(id), 'max')
    local message = 'the worker neither answered nor sent a heartbeat within the ' .. leaseMs ..
      ' ms lease (attempt ' .. attempts .. ' of ' .. max .. ')'
    local failed = 'X' .. cjson.encode({ code = 'worker_failed', message = message })
    local event = retryOrFail(id, message, failed)
    event[#event + 1] = message
    events[#events + 1] = event
  else
    redis.call('ZREM', K .. ':leases', d)
  end
end
local lapsed = redis.call('ZRANGEBYSCORE', K .. ':deadlines', '-inf', now - grace)
for _, id in ipairs(lapsed) do
  local service = redis.call('HGET', jKey(id), 'service')
  if service then
    redis.call('HINCRBY', sKey(service), 'timedOut', 1)
    local gaveUp = 'X' .. cjson.encode({ code = 'timeout',
      message = 'the job outlived its deadline: the hub its caller waited on is gone' })
    endJob(id, 'caller_gone', gaveUp, 0, true, true)
  else
    redis.call('ZREM', K .. ':deadlines', id)
  end
end
local nextEnd = redis.call('ZRANGE', K .. ':leases', 0, 0, 'WITHSCORES')[2]
return { nextEnd and tonumber(nextEnd) or -1, events }
`;

/** run: jobId. Replies { service, fingerprint, outcome } or false. */
const RUN = `
dropExpiredRuns()
local run = redis.call('HMGET', rKey(ARGV[OWN]), 'service', 'fp', 'outcome')
if not run[1] then return false end
return { run[1], run[2] or '', run[3] or '' }
`;

/** job: jobId. Replies { state, service } of a live job. */
const JOB_STATE = `
local job = redis.call('HMGET', jKey(ARGV[OWN]), 'state', 'service')
if not job[2] then return false end
return job
`;

/** delivery: deliveryId. Replies the service of a current delivery. */
const SERVICE_OF = `
local id = redis.call('GET', dKey(ARGV[OWN]))
if not id then return false end
return redis.call('HGET', jKey(id), 'service')
`;

/**
 * services: withWorkers. Replies, per service in the order first seen: its
 * name, its hash's fields, its queue length, when its oldest job was queued,
 * and (withWorkers) its workers seen within the window with their held jobs.
 */
const SERVICES = `
local withWorkers = ARGV[OWN] == '1'
local out = {}
for _, service in ipairs(redis.call('ZRANGE', K .. ':services', 0, -1)) do
  local oldest = redis.call('LINDEX', qKey(service), 0)
  local at = oldest and redis.call('HGET', jKey(oldest), 'at') or false
  -- Workers as id, last seen, jobs held: those seen within the window, and
  -- those holding jobs however long unseen.
  local workers = {}
  if withWorkers then
    for _, w in ipairs(redis.call('ZRANGE', wKey(service), 0, -1)) do
      local seen = tonumber(redis.call('ZSCORE', wKey(service), w))
      local holding = tonumber(redis.call('HGET', wfKey(service), w) or '0')
      if holding > 0 or seen >= now - workerWindowMs then
        workers[#workers + 1] = { w, seen, holding }
      end
    end
  end
  out[#out + 1] = { service, redis.call('HGETALL', sKey(service)), redis.call('LLEN', qKey(service)),
    at or '', workers }
end
return out
`;

const SCRIPTS = {
  sbEnqueue: ENQUEUE,
  sbClaim: CLAIM,
  sbAnswer: ANSWER,
  sbHeartbeat: HEARTBEAT,
  sbFail: FAIL,
  sbRelease: RELEASE,
  sbGiveUp: GIVE_UP,
  sbReap: REAP,
  sbRun: RUN,
  sbJobState: JOB_STATE,
  sbServiceOf: SERVICE_OF,
  sbServices: SERVICES,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** Each script's whole source: the shared prelude, then its own part. */
export const SCRIPT_SOURCES = withPrelude(PRELUDE, SCRIPTS);
