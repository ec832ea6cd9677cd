-- reserveCapacity: take a job's CPU, memory, a container slot and its host ports on one host, if the host is
-- alive and has them all, and (with ARG.schedule = '1') move the job from queued to scheduled in the same step.
-- The checks are the scheduler's health, resources, containerslots and port filters, in their order; a test holds
-- the two against each other.
-- Returns {'ok', nodeId}; {'held', nodeId} when the job already holds a reservation (retries are idempotent);
-- {'job', status} when the job is no longer queued; or {'refused', why} with why one of gone, down, cordoned,
-- memory, cpu, slots, port:<n>.
local held = redis.call('HGET', KEY.reservation, 'node')
if held then return {'held', held} end
if ARG.schedule == '1' then
  local status = redis.call('HGET', KEY.job, 'status')
  if status ~= 'queued' then return {'job', status or 'missing'} end
end
local n = redis.call('HMGET', KEY.node, 'status', 'cpuMillis', 'memoryMiB', 'allocCpuMillis', 'allocMemoryMiB',
  'heartbeatMs', 'containers', 'schedulable')
if not n[1] then return {'refused', 'gone'} end
-- Alive by Redis's clock, the one that stamped the heartbeat.
if n[1] ~= 'ready' or server_ms() - tonumber(n[6] or 0) > tonumber(ARG.timeoutMs) then
  return {'refused', 'down'}
end
if n[8] == 'false' then return {'refused', 'cordoned'} end
local cpu = tonumber(ARG.cpuMillis)
local mem = tonumber(ARG.memoryMiB)
if tonumber(n[5] or 0) + mem > tonumber(n[3]) then return {'refused', 'memory'} end
if tonumber(n[4] or 0) + cpu > tonumber(n[2]) then return {'refused', 'cpu'} end
local slots = tonumber(ARG.slots)
if slots >= 0 and tonumber(n[7] or 0) >= slots then return {'refused', 'slots'} end
for port in string.gmatch(ARG.ports, '[^,]+') do
  if redis.call('SISMEMBER', KEY.ports, port) == 1 then return {'refused', 'port:' .. port} end
end
take(KEY, KEY.reservation, ARG.jobId, ARG.nodeId, cpu, mem, ARG.ports, ARG.workload)
if ARG.schedule == '1' then
  set_status(KEY.job, 'scheduled', ARG.nowIso)
  redis.call('HSET', KEY.job, 'node', ARG.nodeId)
  redis.call('HDEL', KEY.job, 'verdicts')
  emit_job_event(KEY.events, KEY.job)
end
return {'ok', ARG.nodeId}
