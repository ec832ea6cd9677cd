/**
 * Lua scripts run atomically inside Redis: each checks and changes in one step, so concurrent
 * schedulers and agents never interleave inside them. No process-wide lock is needed anywhere.
 */

/** Appends a status to a job's history and sets it; shared by the scripts below. */
const SET_STATUS = `
local function set_status(job_key, status, now_iso)
  local history = cjson.decode(redis.call('HGET', job_key, 'history') or '[]')
  table.insert(history, {status = status, at = now_iso})
  redis.call('HSET', job_key, 'status', status, 'updatedAt', now_iso, 'history', cjson.encode(history))
end
`;

/**
 * Gives a reservation back to its host's books and deletes it; shared by the scripts below. `r` is the
 * reservation's {node, cpuMillis, memoryMiB, ports}.
 */
const GIVE_BACK = `
local function give_back(reservation_key, node_key, job_id, r)
  if redis.call('EXISTS', node_key) == 1 then
    redis.call('HINCRBY', node_key, 'allocCpuMillis', -tonumber(r[2]))
    redis.call('HINCRBY', node_key, 'allocMemoryMiB', -tonumber(r[3]))
    redis.call('HINCRBY', node_key, 'containers', -1)
  end
  redis.call('HDEL', node_key .. ':workloads', job_id)
  for port in string.gmatch(r[4] or '', '[^,]+') do redis.call('SREM', node_key .. ':ports', port) end
  redis.call('DEL', reservation_key)
end
`;

/**
 * Books a reservation on a host and records it; shared by the scripts below (the callers decide whether it fits).
 * The node's counters move only while the node exists.
 */
const TAKE = `
local function take(node_key, reservation_key, job_id, node_id, cpu, mem, ports, workload)
  if redis.call('EXISTS', node_key) == 1 then
    redis.call('HINCRBY', node_key, 'allocCpuMillis', cpu)
    redis.call('HINCRBY', node_key, 'allocMemoryMiB', mem)
    redis.call('HINCRBY', node_key, 'containers', 1)
  end
  for port in string.gmatch(ports, '[^,]+') do redis.call('SADD', node_key .. ':ports', port) end
  redis.call('HSET', node_key .. ':workloads', job_id, workload)
  redis.call('HSET', reservation_key, 'node', node_id, 'cpuMillis', cpu, 'memoryMiB', mem, 'ports', ports)
end
`;

/**
 * reserveCapacity: take a job's CPU, memory, a container slot and its host ports on one host, if the host is
 * alive and has them all, and (with ARGV[10] = '1') move the job from queued to scheduled in the same step.
 * KEYS[1] node hash, KEYS[2] reservation hash of the job, KEYS[3] job hash, KEYS[4] node workloads hash,
 * KEYS[5] node ports set.
 * ARGV[1] node id, ARGV[2] cpu millis, ARGV[3] memory MiB, ARGV[4] now (ms), ARGV[5] heartbeat timeout (ms),
 * ARGV[6] now (ISO), ARGV[7] container slots (-1: no cap), ARGV[8] ports (comma-separated), ARGV[9] workload
 * JSON, ARGV[10] '1' to schedule the job, ARGV[11] job id.
 * Returns {'ok', nodeId}; {'held', nodeId} when the job already holds a reservation (retries are idempotent);
 * {'job', status} when the job is no longer queued; or {'refused', why} with why one of gone, down, memory,
 * cpu, slots, port:<n>, cordoned.
 */
export const RESERVE_CAPACITY =
  SET_STATUS +
  TAKE +
  `
local held = redis.call('HGET', KEYS[2], 'node')
if held then return {'held', held} end
if ARGV[10] == '1' then
  local status = redis.call('HGET', KEYS[3], 'status')
  if status ~= 'queued' then return {'job', status or 'missing'} end
end
local n = redis.call('HMGET', KEYS[1], 'status', 'cpuMillis', 'memoryMiB', 'allocCpuMillis', 'allocMemoryMiB', 'heartbeatMs', 'containers', 'schedulable')
if not n[1] then return {'refused', 'gone'} end
if n[8] == 'false' then return {'refused', 'cordoned'} end
if n[1] ~= 'ready' or tonumber(ARGV[4]) - tonumber(n[6] or 0) > tonumber(ARGV[5]) then
  return {'refused', 'down'}
end
local cpu = tonumber(ARGV[2])
local mem = tonumber(ARGV[3])
if tonumber(n[5] or 0) + mem > tonumber(n[3]) then return {'refused', 'memory'} end
if tonumber(n[4] or 0) + cpu > tonumber(n[2]) then return {'refused', 'cpu'} end
local slots = tonumber(ARGV[7])
if slots >= 0 and tonumber(n[7] or 0) >= slots then return {'refused', 'slots'} end
for port in string.gmatch(ARGV[8], '[^,]+') do
  if redis.call('SISMEMBER', KEYS[5], port) == 1 then return {'refused', 'port:' .. port} end
end
take(KEYS[1], KEYS[2], ARGV[11], ARGV[1], cpu, mem, ARGV[8], ARGV[9])
if ARGV[10] == '1' then
  set_status(KEYS[3], 'scheduled', ARGV[6])
  redis.call('HSET', KEYS[3], 'node', ARGV[1])
end
return {'ok', ARGV[1]}
`;

/**
 * releaseCapacity: give a job's reservation back, exactly once (the reservation is deleted as it is returned).
 * KEYS[1] reservation hash of the job. ARGV[1] node key prefix, ARGV[2] job id, ARGV[3] the host the reservation
 * must be on ('' for any).
 * Returns 1 when something was released, 0 when the job held nothing.
 */
export const RELEASE_CAPACITY =
  GIVE_BACK +
  `
local r = redis.call('HMGET', KEYS[1], 'node', 'cpuMillis', 'memoryMiB', 'ports')
if not r[1] then return 0 end
if ARGV[3] ~= '' and r[1] ~= ARGV[3] then return 0 end
give_back(KEYS[1], ARGV[1] .. r[1], ARGV[2], r)
return 1
`;
/**
 * transitionJob: move a job forward in its state machine, or refuse.
 * KEYS[1] job hash. ARGV[1] new status, ARGV[2] now (ISO), ARGV[3] allowed current statuses (comma-separated),
 * ARGV[4] JSON object of extra fields to set (node, containerId, reason), ARGV[5] name key prefix, ARGV[6] the
 * host the job must be on ('' for any): a report from a host the job has left is stale.
 * A job already in the new status only gets the fields (a replay, or a waiting job's new reason).
 * Moving to removed frees the job's name.
 * Returns {'ok', previous}, {'same', previous}, {'refused', current}, {'stale', node} or {'missing', ''}.
 */
export const TRANSITION_JOB =
  SET_STATUS +
  `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {'missing', ''} end
if ARGV[6] ~= '' and redis.call('HGET', KEYS[1], 'node') ~= ARGV[6] then
  return {'stale', redis.call('HGET', KEYS[1], 'node') or ''}
end
local outcome = 'ok'
if current == ARGV[1] then
  outcome = 'same'
else
  local allowed = false
  for s in string.gmatch(ARGV[3], '[^,]+') do
    if s == current then allowed = true end
  end
  if not allowed then return {'refused', current} end
  set_status(KEYS[1], ARGV[1], ARGV[2])
end
for field, value in pairs(cjson.decode(ARGV[4])) do
  redis.call('HSET', KEYS[1], field, value)
end
if ARGV[1] == 'removed' then
  local name = redis.call('HGET', KEYS[1], 'name')
  if name and redis.call('GET', ARGV[5] .. name) == redis.call('HGET', KEYS[1], 'id') then
    redis.call('DEL', ARGV[5] .. name)
  end
end
return {outcome, current}
`;

/**
 * createJob: claim the job's name (if any) and its idempotency key (if any), and write the job record and its index
 * entry, in one step, so a name or a key can never point at a job that was not written.
 * KEYS[1] job hash, KEYS[2] job index, KEYS[3] name key (or the job key for none), KEYS[4] idempotency key (or the
 * job key for none). ARGV[1] job id, ARGV[2] spec JSON, ARGV[3] name (or ''), ARGV[4] now ISO, ARGV[5] now ms,
 * ARGV[6] history JSON, ARGV[7] request fingerprint ('' without an idempotency key), ARGV[8] key lifetime (s).
 * Returns {'ok', ''}, {'name-taken', holder id} or {'replay', 'job id|fingerprint'} when the key was used before.
 */
export const CREATE_JOB = `
if ARGV[7] ~= '' then
  local earlier = redis.call('GET', KEYS[4])
  if earlier then return {'replay', earlier} end
end
if ARGV[3] ~= '' then
  local holder = redis.call('GET', KEYS[3])
  if holder then return {'name-taken', holder} end
  redis.call('SET', KEYS[3], ARGV[1])
end
if ARGV[7] ~= '' then
  redis.call('SET', KEYS[4], ARGV[1] .. '|' .. ARGV[7], 'EX', tonumber(ARGV[8]))
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'status', 'queued', 'spec', ARGV[2], 'createdAt', ARGV[4],
  'updatedAt', ARGV[4], 'history', ARGV[6])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'name', ARGV[3]) end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return {'ok', ''}
`;

/**
 * takeBackJob: undo a job whose message the broker never confirmed: delete its record, free its name and give back
 * a reservation it may already hold (the broker may have routed the message after all), and leave a tombstone so
 * the message can never revive it. Refused once a replay of the request has marked the job accepted.
 * KEYS[1] job hash, KEYS[2] job index, KEYS[3] tombstone, KEYS[4] reservation hash. ARGV[1] job id, ARGV[2] name
 * key (or ''), ARGV[3] node key prefix. Returns 1 when taken back, 0 when the job was accepted meanwhile.
 */
export const TAKE_BACK_JOB =
  GIVE_BACK +
  `
if redis.call('HGET', KEYS[1], 'accepted') == '1' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], '1', 'EX', 86400)
if ARGV[2] ~= '' and redis.call('GET', ARGV[2]) == ARGV[1] then redis.call('DEL', ARGV[2]) end
local r = redis.call('HMGET', KEYS[4], 'node', 'cpuMillis', 'memoryMiB', 'ports')
if r[1] then give_back(KEYS[4], ARGV[3] .. r[1], ARGV[1], r) end
return 1
`;

/**
 * markAccepted: record that a job's message was confirmed, only while its record exists (never creating a
 * half-made one). KEYS[1] job hash. Returns 1, or 0 when the record is gone (taken back, or lost with Redis).
 */
export const MARK_ACCEPTED = `
if redis.call('HEXISTS', KEYS[1], 'id') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'accepted', '1')
return 1
`;

/**
 * rescheduleJob: take a job off a host that is down or drained, so it can be placed again. The one move back to
 * `queued`; it is guarded by the host, so only the first of several schedulers doing it succeeds, and reports
 * from the old host no longer match the job.
 * KEYS[1] job hash, KEYS[2] reservation hash. ARGV[1] the host, ARGV[2] now ISO, ARGV[3] reason, ARGV[4] node key
 * prefix, ARGV[5] rescheduled-jobs index key, ARGV[6] now ms. Returns 1 when the job was taken off the host.
 */
export const RESCHEDULE_JOB =
  SET_STATUS +
  GIVE_BACK +
  `
local status = redis.call('HGET', KEYS[1], 'status')
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return 0 end
if status ~= 'scheduled' and status ~= 'pulling' and status ~= 'running' then return 0 end
local r = redis.call('HMGET', KEYS[2], 'node', 'cpuMillis', 'memoryMiB', 'ports')
-- No reservation on that host: the job has just ended there (its capacity is already back), so it stays.
if r[1] ~= ARGV[1] then return 0 end
give_back(KEYS[2], ARGV[4] .. r[1], redis.call('HGET', KEYS[1], 'id'), r)
set_status(KEYS[1], 'queued', ARGV[2])
redis.call('HSET', KEYS[1], 'node', '', 'containerId', '', 'reason', ARGV[3])
-- Until it is placed again, the job is on the list of rescheduled jobs the monitor re-publishes if need be.
redis.call('ZADD', ARGV[5], tonumber(ARGV[6]), redis.call('HGET', KEYS[1], 'id'))
return 1
`;

/**
 * recomputeBooks: make a host's allocated CPU, memory and container count the sum of the reservations it
 * really holds, dropping workloads whose reservation is gone or belongs to another host.
 * KEYS[1] node hash, KEYS[2] node workloads hash, KEYS[3] node ports set. ARGV[1] reservation key prefix,
 * ARGV[2] node id. Returns {cpu, memory, containers} after the fix.
 */
export const RECOMPUTE_BOOKS = `
local cpu, mem, count = 0, 0, 0
redis.call('DEL', KEYS[3])
for _, jobId in ipairs(redis.call('HKEYS', KEYS[2])) do
  local r = redis.call('HMGET', ARGV[1] .. jobId, 'node', 'cpuMillis', 'memoryMiB', 'ports')
  if r[1] == ARGV[2] then
    cpu = cpu + tonumber(r[2])
    mem = mem + tonumber(r[3])
    count = count + 1
    for port in string.gmatch(r[4] or '', '[^,]+') do redis.call('SADD', KEYS[3], port) end
  else
    redis.call('HDEL', KEYS[2], jobId)
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'allocCpuMillis', cpu, 'allocMemoryMiB', mem, 'containers', count)
end
return {cpu, mem, count}
`;

/**
 * registerNode: write a host's capacity, address and labels; keep what is allocated on it. The host comes in as
 * `restoring`: it takes no work until its agent has rebuilt its books from what Docker runs and marks it ready.
 * The first registration after Redis lost everything (no epoch) writes a new epoch; when the agent has evidence
 * of an earlier life (containers on its host, or an earlier registration), it also starts the recovery pause.
 * KEYS[1] node hash, KEYS[2] node index set, KEYS[3] epoch, KEYS[4] recovery. ARGV: id, address, cpu, memory,
 * labels JSON, now ISO, now ms, images JSON, evidence ('1'/'0'), recovery window (ms), new epoch id.
 * Returns {node existed (1/0), recovery started (1/0)}.
 */
export const REGISTER_NODE = `
local existed = redis.call('EXISTS', KEYS[1])
local recovering = 0
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('SET', KEYS[3], ARGV[11])
  if ARGV[9] == '1' then
    redis.call('SET', KEYS[4], 'hosts are reporting what they run', 'PX', tonumber(ARGV[10]), 'NX')
    recovering = 1
  end
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'address', ARGV[2], 'cpuMillis', ARGV[3], 'memoryMiB', ARGV[4],
  'labels', ARGV[5], 'status', 'restoring', 'heartbeatAt', ARGV[6], 'heartbeatMs', ARGV[7], 'images', ARGV[8])
redis.call('HSETNX', KEYS[1], 'registeredAt', ARGV[6])
redis.call('HSETNX', KEYS[1], 'allocCpuMillis', 0)
redis.call('HSETNX', KEYS[1], 'allocMemoryMiB', 0)
redis.call('HSETNX', KEYS[1], 'containers', 0)
redis.call('SADD', KEYS[2], ARGV[1])
return {existed, recovering}
`;

/**
 * heartbeat: keep a registered host alive. It never creates a host: a missing record means Redis lost the
 * cluster's state, and the agent must register again and rebuild the host's books (returns 0). A host still
 * restoring stays so. KEYS[1] node hash. ARGV[1] now ISO, ARGV[2] now ms. Returns 1, or 0 when the host is unknown.
 */
export const HEARTBEAT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
if status == 'restoring' then
  redis.call('HSET', KEYS[1], 'heartbeatAt', ARGV[1], 'heartbeatMs', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'status', 'ready', 'heartbeatAt', ARGV[1], 'heartbeatMs', ARGV[2])
end
return 1
`;

/**
 * restoreJob: rebuild a job's record that Redis lost, from what its host runs (an agent) or from a message still
 * in a queue (a scheduler, as `queued`). Never overwrites a record that exists, never revives a job the gateway
 * took back (tombstone). A job whose container lives takes its reservation on the host again, without a capacity
 * check: the container is there, so the books must show it.
 * KEYS[1] job hash, KEYS[2] job index, KEYS[3] tombstone, KEYS[4] reservation hash, KEYS[5] node hash.
 * ARGV[1] job id, ARGV[2] spec JSON, ARGV[3] name (or ''), ARGV[4] name key prefix, ARGV[5] status, ARGV[6] node
 * (or ''), ARGV[7] container id (or ''), ARGV[8] createdAt ISO, ARGV[9] createdAt ms, ARGV[10] now ISO,
 * ARGV[11] history JSON, ARGV[12] reason, ARGV[13] exit code (or ''), ARGV[14] '1' to reserve, ARGV[15] cpu,
 * ARGV[16] memory, ARGV[17] ports (comma-separated), ARGV[18] workload JSON.
 * Returns 'restored', 'exists' or 'tombstoned'.
 */
export const RESTORE_JOB =
  TAKE +
  `
if redis.call('HEXISTS', KEYS[1], 'id') == 1 then return 'exists' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'tombstoned' end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'status', ARGV[5], 'spec', ARGV[2], 'createdAt', ARGV[8],
  'updatedAt', ARGV[10], 'history', ARGV[11], 'node', ARGV[6], 'containerId', ARGV[7], 'reason', ARGV[12],
  'exitCode', ARGV[13])
if ARGV[3] ~= '' and redis.call('SETNX', ARGV[4] .. ARGV[3], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'name', ARGV[3])
end
redis.call('ZADD', KEYS[2], tonumber(ARGV[9]), ARGV[1])
if ARGV[14] == '1' and redis.call('EXISTS', KEYS[4]) == 0 then
  take(KEYS[5], KEYS[4], ARGV[1], ARGV[6], tonumber(ARGV[15]), tonumber(ARGV[16]), ARGV[17], ARGV[18])
end
return 'restored'
`;

/**
 * admitJob: the scheduler's gate before placing a job. Placement pauses while the cluster has no epoch (Redis
 * lost everything and no host has registered since) or while the recovery pause runs; a scheduler that knew
 * another epoch starts that pause itself, since it has seen the loss.
 * KEYS[1] epoch, KEYS[2] recovery, KEYS[3] job hash. ARGV[1] the epoch the caller knows (or ''), ARGV[2] recovery
 * window (ms). Returns {'paused', remaining ms ('-1': until a host registers), epoch} or
 * {'job', status or 'missing', epoch}.
 */
export const ADMIT_JOB = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then return {'paused', '-1', ''} end
if ARGV[1] ~= '' and ARGV[1] ~= epoch then
  redis.call('SET', KEYS[2], 'a scheduler saw the state change under it', 'PX', tonumber(ARGV[2]), 'NX')
end
local remaining = redis.call('PTTL', KEYS[2])
if remaining > 0 then return {'paused', tostring(remaining), epoch} end
return {'job', redis.call('HGET', KEYS[3], 'status') or 'missing', epoch}
`;
