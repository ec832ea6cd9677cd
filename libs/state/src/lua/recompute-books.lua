-- recomputeBooks: make a host's allocated CPU, memory and container count the sum of the reservations it really
-- holds, dropping workloads whose reservation is gone or belongs to another host. KEY.reservations are the
-- reservations of ARG.jobIds (JSON), the jobs the caller read in the host's workloads.
-- Returns {cpu, memory, containers} after the fix, or {-1, 0, 0} when the workloads changed since the caller read
-- them (read again and retry).
local ids = cjson.decode(ARG.jobIds)
local workloads = redis.call('HKEYS', KEY.workloads)
if #workloads ~= #ids then return {-1, 0, 0} end
local passed = {}
for i, id in ipairs(ids) do passed[id] = KEY.reservations[i] end
for _, id in ipairs(workloads) do
  if not passed[id] then return {-1, 0, 0} end
end
local cpu, mem, count = 0, 0, 0
redis.call('DEL', KEY.ports)
for _, jobId in ipairs(ids) do
  local r = redis.call('HMGET', passed[jobId], 'node', 'cpuMillis', 'memoryMiB', 'ports')
  if r[1] == ARG.nodeId then
    cpu = cpu + tonumber(r[2])
    mem = mem + tonumber(r[3])
    count = count + 1
    for port in string.gmatch(r[4] or '', '[^,]+') do redis.call('SADD', KEY.ports, port) end
  else
    redis.call('HDEL', KEY.workloads, jobId)
  end
end
if redis.call('EXISTS', KEY.node) == 1 then
  redis.call('HSET', KEY.node, 'allocCpuMillis', cpu, 'allocMemoryMiB', mem, 'containers', count)
end
host_changed(KEY.changes, ARG.nodeId)
return {cpu, mem, count}
