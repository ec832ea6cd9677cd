-- rescheduleJob: take a job off a host that is down or drained, so it can be placed again. The one move back to
-- `queued`; it is guarded by the host, so only the first of several schedulers doing it succeeds, and reports
-- from the old host no longer match the job. Returns 1 when the job was taken off the host.
local status = redis.call('HGET', KEY.job, 'status')
if redis.call('HGET', KEY.job, 'node') ~= ARG.nodeId then return 0 end
if status ~= 'scheduled' and status ~= 'pulling' and status ~= 'running' then return 0 end
local r = redis.call('HMGET', KEY.reservation, 'node', 'cpuMillis', 'memoryMiB', 'ports')
-- No reservation on that host: the job has just ended there (its capacity is already back), so it stays.
if r[1] ~= ARG.nodeId then return 0 end
give_back(KEY.reservation, KEY, ARG.jobId, r)
set_status(KEY.job, 'queued', ARG.nowIso)
redis.call('HSET', KEY.job, 'node', '', 'containerId', '', 'reason', ARG.reason)
-- Until it is placed again, the job is on the list of rescheduled jobs the monitor re-publishes if need be.
-- By Redis's clock, as the node monitor reads it back.
redis.call('ZADD', KEY.rescheduled, server_ms(), ARG.jobId)
return 1
