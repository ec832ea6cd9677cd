/**
 * Lua scripts run atomically inside Redis: each checks and changes in one step, so concurrent
 * schedulers and agents never interleave inside them. No process-wide lock is needed anywhere.
 */

/**
 * reserveCapacity: take a job's CPU and memory on one host, if the host is alive and has them.
 * KEYS[1] node hash, KEYS[2] reservation hash of the job.
 * ARGV[1] node id, ARGV[2] cpu millis, ARGV[3] memory MiB, ARGV[4] now (ms), ARGV[5] heartbeat timeout (ms).
 * Returns {'ok', nodeId} (the existing reservation's node when the job already holds one: retries are
 * idempotent) or {'refused', why} with why one of gone, down, cpu, memory.
 */
export const RESERVE_CAPACITY = `
local held = redis.call('HGET', KEYS[2], 'node')
if held then return {'ok', held} end
local n = redis.call('HMGET', KEYS[1], 'status', 'cpuMillis', 'memoryMiB', 'allocCpuMillis', 'allocMemoryMiB', 'heartbeatMs')
if not n[1] then return {'refused', 'gone'} end
if n[1] ~= 'ready' or tonumber(ARGV[4]) - tonumber(n[6] or 0) > tonumber(ARGV[5]) then
  return {'refused', 'down'}
end
local cpu = tonumber(ARGV[2])
local mem = tonumber(ARGV[3])
if tonumber(n[5] or 0) + mem > tonumber(n[3]) then return {'refused', 'memory'} end
if tonumber(n[4] or 0) + cpu > tonumber(n[2]) then return {'refused', 'cpu'} end
redis.call('HINCRBY', KEYS[1], 'allocCpuMillis', cpu)
redis.call('HINCRBY', KEYS[1], 'allocMemoryMiB', mem)
redis.call('HINCRBY', KEYS[1], 'containers', 1)
redis.call('HSET', KEYS[2], 'node', ARGV[1], 'cpuMillis', cpu, 'memoryMiB', mem)
return {'ok', ARGV[1]}
`;

/**
 * releaseCapacity: give a job's reservation back, exactly once (the reservation is deleted as it is returned).
 * KEYS[1] reservation hash of the job. ARGV[1] node key prefix.
 * Returns 1 when something was released, 0 when the job held nothing.
 */
export const RELEASE_CAPACITY = `
local r = redis.call('HMGET', KEYS[1], 'node', 'cpuMillis', 'memoryMiB')
if not r[1] then return 0 end
local nodeKey = ARGV[1] .. r[1]
if redis.call('EXISTS', nodeKey) == 1 then
  redis.call('HINCRBY', nodeKey, 'allocCpuMillis', -tonumber(r[2]))
  redis.call('HINCRBY', nodeKey, 'allocMemoryMiB', -tonumber(r[3]))
  redis.call('HINCRBY', nodeKey, 'containers', -1)
end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * transitionJob: move a job forward in its state machine, or refuse.
 * KEYS[1] job hash. ARGV[1] new status, ARGV[2] now (ISO), ARGV[3] allowed current statuses (comma-separated),
 * ARGV[4] JSON object of extra fields to set (node, containerId, reason).
 * Returns {'ok', previous}, {'same', previous} when already there (a replay), {'refused', current}, or {'missing', ''}.
 */
export const TRANSITION_JOB = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {'missing', ''} end
if current == ARGV[1] then return {'same', current} end
local allowed = false
for s in string.gmatch(ARGV[3], '[^,]+') do
  if s == current then allowed = true end
end
if not allowed then return {'refused', current} end
local history = cjson.decode(redis.call('HGET', KEYS[1], 'history') or '[]')
table.insert(history, {status = ARGV[1], at = ARGV[2]})
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updatedAt', ARGV[2], 'history', cjson.encode(history))
for field, value in pairs(cjson.decode(ARGV[4])) do
  redis.call('HSET', KEYS[1], field, value)
end
return {'ok', current}
`;

/**
 * registerNode: write a host's capacity, address and labels; keep what is allocated on it.
 * KEYS[1] node hash, KEYS[2] node index set. ARGV: id, address, cpu, memory, labels JSON, now ISO, now ms.
 */
export const REGISTER_NODE = `
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'address', ARGV[2], 'cpuMillis', ARGV[3], 'memoryMiB', ARGV[4],
  'labels', ARGV[5], 'status', 'ready', 'heartbeatAt', ARGV[6], 'heartbeatMs', ARGV[7])
redis.call('HSETNX', KEYS[1], 'registeredAt', ARGV[6])
redis.call('HSETNX', KEYS[1], 'allocCpuMillis', 0)
redis.call('HSETNX', KEYS[1], 'allocMemoryMiB', 0)
redis.call('HSETNX', KEYS[1], 'containers', 0)
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;
