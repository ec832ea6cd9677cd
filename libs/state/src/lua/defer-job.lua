-- deferJob: a job found no room (or placement is paused): it waits, and its next try is due in ARG.delayMs. Only the
-- copy of its place-job message whose attempt is the job's current one (ARG.attempt) may do this; it moves the job to
-- the next attempt, which only the message published next carries, so duplicates of the message die out here rather
-- than multiply. The job goes on KEY.waiting, due once its delay and ARG.graceMs have passed (Redis's clock): a
-- message lost meanwhile (a broker crash) is published again by the sweeper (claim-overdue-jobs).
-- With ARG.park = '1' the job fits nowhere: it also joins KEY.parked, in line by when its placement began, and
-- its due time is its deadline: no timer tries it again before then, a change that frees room wakes it (wake-parked).
-- Returns {'ok', new attempt}, {'stale', current attempt}, {'refused', status} (not queued) or {'missing', ''}.
local f = redis.call('HMGET', KEY.job, 'status', 'attempt')
if not f[1] then return {'missing', ''} end
if f[1] ~= 'queued' then return {'refused', f[1]} end
local attempt = tonumber(f[2] or '0')
if attempt ~= tonumber(ARG.attempt) then return {'stale', tostring(attempt)} end
attempt = attempt + 1
-- A watcher hears why the job waits when that changes, not at every try.
local changed = redis.call('HGET', KEY.job, 'reason') ~= ARG.reason
redis.call('HSET', KEY.job, 'attempt', attempt, 'reason', ARG.reason, 'placingSince', ARG.placingSince, 'verdicts',
  ARG.verdicts)
if changed then emit_job_event(KEY.events, KEY.job) end
local now = server_ms()
redis.call('ZADD', KEY.waiting, now + tonumber(ARG.delayMs) + tonumber(ARG.graceMs), ARG.jobId)
if ARG.park == '1' then
  redis.call('ZADD', KEY.parked, tonumber(ARG.sinceMs), ARG.jobId)
else
  redis.call('ZREM', KEY.parked, ARG.jobId)
end
return {'ok', tostring(attempt)}
