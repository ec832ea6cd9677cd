-- reserveCapacity: take a job's CPU, memory, a container slot and its host ports on one host, if the host is
-- alive and has them all (host_refusal), and (with ARG.schedule = '1') move the job from queued to scheduled in the
-- same step.
-- Returns {'ok', nodeId, the host's new version}; {'held', nodeId} when the job already holds a reservation (retries are idempotent);
-- {'job', status} when the job is no longer queued; or {'refused', why} with why one of gone, down, cordoned,
-- memory, cpu, slots, port:<n>.
local held = redis.call('HGET', KEY.reservation, 'node')
if held then return {'held', held} end
if ARG.schedule == '1' then
  local status = redis.call('HGET', KEY.job, 'status')
  if status ~= 'queued' then return {'job', status or 'missing'} end
end
local cpu = tonumber(ARG.cpuMillis)
local mem = tonumber(ARG.memoryMiB)
local why = host_refusal(KEY, { cpu = cpu, mem = mem, count = 1, slots = tonumber(ARG.slots),
  ports = port_list(ARG.ports) }, tonumber(ARG.timeoutMs))
if why then return {'refused', why} end
local version = take(KEY, KEY.reservation, ARG.jobId, ARG.nodeId, cpu, mem, ARG.ports, ARG.workload)
if ARG.schedule == '1' then
  set_status(KEY.job, 'scheduled', ARG.nowIso)
  redis.call('HSET', KEY.job, 'node', ARG.nodeId)
  redis.call('HDEL', KEY.job, 'verdicts')
  emit_job_event(KEY.events, KEY.job)
end
return {'ok', ARG.nodeId, tostring(version)}
