-- expireJob: delete a job that finished for good longer than ARG.retentionMs ago (by Redis's clock), with everything
-- that refers to it: its record (history included), its entries in the job index, the expiring and waiting
-- lists, a reservation it may still hold (none should be left; the books must not keep it for ever), its name and
-- its idempotency key while they still point at it. A tombstone (ARG.tombstoneSeconds) stops a late copy of one of
-- its messages from rebuilding it as if Redis had lost it. Safe to run from several schedulers at once: it checks
-- again, in one step, that the job is still finished and due. ARG.name, ARG.idempotencyKey and ARG.nodeId (the host
-- of its reservation, '' for none) are what the caller read, since KEY.name, KEY.idempotency and the host's keys
-- must be given (the job's own key stands in for a key it has not). A job of a group (ARG.group, KEY.group) counts
-- its group down, and the last one to go deletes the group's record.
-- Returns 'expired'; 'kept' when it is no longer on the list or no longer finished; 'early' when not due yet;
-- 'retry' when the record or its reservation is not what the caller read.
local finished = redis.call('ZSCORE', KEY.expiring, ARG.jobId)
if not finished then return 'kept' end
if redis.call('EXISTS', KEY.job) == 0 or not finished_for_good(KEY.job) then
  -- Gone another way (taken back), or moved on without its list entry being dropped: nothing to expire.
  redis.call('ZREM', KEY.expiring, ARG.jobId)
  return 'kept'
end
if server_ms() < tonumber(finished) + tonumber(ARG.retentionMs) then return 'early' end
local f = redis.call('HMGET', KEY.job, 'name', 'idempotencyKey', 'group')
if (f[1] or '') ~= ARG.name or (f[2] or '') ~= ARG.idempotencyKey or (f[3] or '') ~= ARG.group then return 'retry' end
local r = redis.call('HMGET', KEY.reservation, 'node', 'cpuMillis', 'memoryMiB', 'ports')
if (r[1] or '') ~= ARG.nodeId then return 'retry' end
if r[1] then give_back(KEY.reservation, KEY, ARG.jobId, r) end
if ARG.name ~= '' and redis.call('GET', KEY.name) == ARG.jobId then redis.call('DEL', KEY.name) end
if ARG.idempotencyKey ~= '' then
  local entry = redis.call('GET', KEY.idempotency) or ''
  if string.sub(entry, 1, #ARG.jobId + 1) == ARG.jobId .. '|' then redis.call('DEL', KEY.idempotency) end
end
if ARG.group ~= '' and redis.call('HINCRBY', KEY.group, 'live', -1) <= 0 then redis.call('DEL', KEY.group) end
redis.call('DEL', KEY.job)
redis.call('ZREM', KEY.index, ARG.jobId)
redis.call('ZREM', KEY.expiring, ARG.jobId)
redis.call('ZREM', KEY.waiting, ARG.jobId)
redis.call('SET', KEY.tombstone, 'expired', 'EX', tonumber(ARG.tombstoneSeconds))
return 'expired'
