-- admitJob: the scheduler's gate before placing a job. Placement pauses while the cluster has no epoch (Redis
-- lost everything and no host has registered since) or while the recovery pause runs; a scheduler that knew
-- another epoch (ARG.knownEpoch) starts that pause itself, since it has seen the loss.
-- Returns {'paused', remaining ms ('-1': until a host registers), epoch} or {'job', status or 'missing', epoch,
-- the job's current attempt, its group when it is placed with it all or nothing ('' otherwise)}.
local epoch = redis.call('GET', KEY.epoch)
if not epoch then return {'paused', '-1', ''} end
if ARG.knownEpoch ~= '' and ARG.knownEpoch ~= epoch then
  redis.call('SET', KEY.recovery, 'a scheduler saw the state change under it', 'PX', tonumber(ARG.recoveryWindowMs), 'NX')
end
local remaining = redis.call('PTTL', KEY.recovery)
if remaining > 0 then return {'paused', tostring(remaining), epoch} end
local f = redis.call('HMGET', KEY.job, 'status', 'attempt', 'group', 'gang')
return {'job', f[1] or 'missing', epoch, f[2] or '0', f[4] == '1' and f[3] or ''}
