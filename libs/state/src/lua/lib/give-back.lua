-- Gives a reservation back to its host's books and deletes it. `host` holds the keys of the host's hash,
-- workloads and ports (and the cluster's change counter); `r` is the reservation's {node, cpuMillis, memoryMiB, ports}.
local function give_back(reservation_key, host, job_id, r)
  if redis.call('EXISTS', host.node) == 1 then
    redis.call('HINCRBY', host.node, 'allocCpuMillis', -tonumber(r[2]))
    redis.call('HINCRBY', host.node, 'allocMemoryMiB', -tonumber(r[3]))
    redis.call('HINCRBY', host.node, 'containers', -1)
  end
  redis.call('HDEL', host.workloads, job_id)
  for port in string.gmatch(r[4] or '', '[^,]+') do redis.call('SREM', host.ports, port) end
  redis.call('DEL', reservation_key)
  host_changed(host.changes, r[1])
end
