-- Books a reservation on a host and records it (the caller decides whether it fits). `host` holds the keys of
-- the host's hash, workloads and ports (and the cluster's change counter); its counters move only while the host
-- exists. Returns the host's new version (see host_changed).
local function take(host, reservation_key, job_id, node_id, cpu, mem, ports, workload)
  if redis.call('EXISTS', host.node) == 1 then
    redis.call('HINCRBY', host.node, 'allocCpuMillis', cpu)
    redis.call('HINCRBY', host.node, 'allocMemoryMiB', mem)
    redis.call('HINCRBY', host.node, 'containers', 1)
  end
  for port in string.gmatch(ports, '[^,]+') do redis.call('SADD', host.ports, port) end
  redis.call('HSET', host.workloads, job_id, workload)
  redis.call('HSET', reservation_key, 'node', node_id, 'cpuMillis', cpu, 'memoryMiB', mem, 'ports', ports)
  return host_changed(host.changes, node_id)
end
