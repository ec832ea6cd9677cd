-- releaseCapacity: give a job's reservation back, exactly once (the reservation is deleted as it is returned).
-- KEY.node, KEY.workloads and KEY.ports are those of ARG.nodeId, the host the caller read the reservation on.
-- ARG.expectNode: the host the reservation must be on ('' for any).
-- Returns 1 when something was released, 0 when the job held nothing (or not on ARG.expectNode), -1 when the
-- reservation is on another host than ARG.nodeId (read again and retry).
local r = redis.call('HMGET', KEY.reservation, 'node', 'cpuMillis', 'memoryMiB', 'ports')
if not r[1] then return 0 end
if ARG.expectNode ~= '' and r[1] ~= ARG.expectNode then return 0 end
if r[1] ~= ARG.nodeId then return -1 end
give_back(KEY.reservation, KEY, ARG.jobId, r)
return 1
