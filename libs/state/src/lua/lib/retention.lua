-- Finished jobs leave Redis after the retention. A job is finished for good when it is removed, or unschedulable or
-- failed without ever having had a container (a failure with an exit code had one, even when its id was never
-- recorded): nothing of it is left on any host. A job with a container stays until it is removed.
local function finished_for_good(job_key)
  local f = redis.call('HMGET', job_key, 'status', 'containerId', 'exitCode')
  if f[1] == 'removed' then return true end
  return (f[1] == 'unschedulable' or f[1] == 'failed') and (f[2] or '') == '' and (f[3] or '') == ''
end

-- Keeps a job on the `expiring` list, scored by when it finished for good (Redis's clock, in ms), exactly while it
-- is so: the first time counts (a replay does not push it back), and a job that moves on (failed to removing, or
-- reported with a container after all) leaves the list.
local function track_retention(job_key, expiring_key, job_id)
  if finished_for_good(job_key) then
    redis.call('ZADD', expiring_key, 'NX', server_ms(), job_id)
  else
    redis.call('ZREM', expiring_key, job_id)
  end
end
