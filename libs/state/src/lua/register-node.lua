-- registerNode: write a host's capacity, address and labels; keep what is allocated on it. The host comes in as
-- `restoring`: it takes no work until its agent has rebuilt its books from what Docker runs and marks it ready.
-- The first registration after Redis lost everything (no epoch) writes a new epoch; when the agent has evidence
-- of an earlier life (containers on its host, or an earlier registration), it also starts the recovery pause.
-- Returns {node existed (1/0), recovery started (1/0)}.
local existed = redis.call('EXISTS', KEY.node)
local recovering = 0
if redis.call('EXISTS', KEY.epoch) == 0 then
  redis.call('SET', KEY.epoch, ARG.newEpoch)
  if ARG.evidence == '1' then
    redis.call('SET', KEY.recovery, 'hosts are reporting what they run', 'PX', tonumber(ARG.recoveryWindowMs), 'NX')
    recovering = 1
  end
end
redis.call('HSET', KEY.node, 'id', ARG.id, 'address', ARG.address, 'cpuMillis', ARG.cpuMillis, 'memoryMiB',
  ARG.memoryMiB, 'labels', ARG.labels, 'status', 'restoring', 'heartbeatMs', server_ms(), 'instance', ARG.instance,
  'images', ARG.images)
redis.call('HDEL', KEY.node, 'conflict')
redis.call('HSETNX', KEY.node, 'registeredAt', ARG.nowIso)
redis.call('HSETNX', KEY.node, 'allocCpuMillis', 0)
redis.call('HSETNX', KEY.node, 'allocMemoryMiB', 0)
redis.call('HSETNX', KEY.node, 'containers', 0)
redis.call('SADD', KEY.index, ARG.id)
emit_node_event(KEY.events, KEY.node)
host_changed(KEY.changes, ARG.id)
return {existed, recovering}
