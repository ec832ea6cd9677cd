-- wakeParked: room was freed (a container left a host, or a host joined or came back): the oldest ARG.limit parked jobs
-- are due now on KEY.waiting, so the next sweep publishes their place-job message again (claim-overdue-jobs). A job
-- that no longer waits (placed, removed, gone) just leaves the line. KEY.jobs are the records of ARG.jobIds (JSON),
-- the jobs the caller read at the head of KEY.parked; one another caller woke already is no longer there.
-- Returns how many jobs it woke.
local woken = 0
for i, id in ipairs(cjson.decode(ARG.jobIds)) do
  if redis.call('ZREM', KEY.parked, id) == 1 then
    local status = redis.call('HGET', KEY.jobs[i], 'status')
    if status == 'queued' and redis.call('ZSCORE', KEY.waiting, id) then
      redis.call('ZADD', KEY.waiting, 'XX', 0, id)
      woken = woken + 1
    end
  end
end
return woken
