-- restoreJob: rebuild a job's record that Redis lost, from what its host runs (an agent) or from a message still
-- in a queue (a scheduler, as `queued`). Never overwrites a record that exists, never revives a job the gateway
-- took back (tombstone). A job whose container lives (ARG.holds '1') takes its reservation on the host again,
-- without a capacity check: the container is there, so the books must show it. KEY.name is the claim of the job's
-- name (the job's own key when it has none). ARG.group and ARG.gang ('' for none) put it back in its group.
-- Returns 'restored', 'exists' or 'tombstoned'.
if redis.call('HEXISTS', KEY.job, 'id') == 1 then return 'exists' end
if redis.call('EXISTS', KEY.tombstone) == 1 then return 'tombstoned' end
redis.call('HSET', KEY.job, 'id', ARG.id, 'namespace', ARG.namespace, 'status', ARG.status, 'spec', ARG.spec, 'createdAt', ARG.createdAtIso,
  'updatedAt', ARG.nowIso, 'history', ARG.history, 'node', ARG.nodeId, 'containerId', ARG.containerId, 'reason',
  ARG.reason, 'exitCode', ARG.exitCode, 'attempt', ARG.attempt)
if ARG.group ~= '' then redis.call('HSET', KEY.job, 'group', ARG.group) end
if ARG.gang ~= '' then redis.call('HSET', KEY.job, 'gang', ARG.gang) end
if ARG.name ~= '' and redis.call('SETNX', KEY.name, ARG.id) == 1 then
  redis.call('HSET', KEY.job, 'name', ARG.name)
end
redis.call('ZADD', KEY.index, tonumber(ARG.createdAtMs), ARG.id)
if ARG.holds == '1' and redis.call('EXISTS', KEY.reservation) == 0 then
  take(KEY, KEY.reservation, ARG.id, ARG.nodeId, tonumber(ARG.cpuMillis), tonumber(ARG.memoryMiB), ARG.ports,
    ARG.workload)
end
emit_job_event(KEY.events, KEY.job)
return 'restored'
