-- rescheduleJob: take a job off a host that is down or drained, so it can be placed again. The one move back to
-- `queued`; it is guarded by the host, so only the first of several schedulers doing it succeeds, and reports
-- from the old host no longer match the job. Returns the job's new attempt, which the place-job message sent next
-- carries (see defer-job), when the job was taken off the host; else 0.
local status = redis.call('HGET', KEY.job, 'status')
if redis.call('HGET', KEY.job, 'node') ~= ARG.nodeId then return 0 end
if status ~= 'scheduled' and status ~= 'pulling' and status ~= 'running' then return 0 end
local r = redis.call('HMGET', KEY.reservation, 'node', 'cpuMillis', 'memoryMiB', 'ports')
-- No reservation on that host: the job has just ended there (its capacity is already back), so it stays.
if r[1] ~= ARG.nodeId then return 0 end
give_back(KEY.reservation, KEY, ARG.jobId, r)
set_status(KEY.job, 'queued', ARG.nowIso)
redis.call('HSET', KEY.job, 'node', '', 'containerId', '', 'reason', ARG.reason)
-- Until it is placed again, the job waits for the scheduler: its message is published again if it is lost.
local attempt = redis.call('HINCRBY', KEY.job, 'attempt', 1)
redis.call('HSET', KEY.job, 'placingSince', ARG.nowIso)
redis.call('ZADD', KEY.waiting, server_ms() + tonumber(ARG.graceMs), ARG.jobId)
emit_job_event(KEY.events, KEY.job)
return attempt
