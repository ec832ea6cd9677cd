-- takeBackJob: undo a job whose message the broker never confirmed: delete its record, free its name (KEY.name,
-- or the job's own key when it has none) and give back a reservation it may already hold (the broker may have
-- routed the message after all), and leave a tombstone so the message can never revive it. Refused once a
-- replay of the request has marked the job accepted. KEY.node, KEY.workloads and KEY.ports are those of
-- ARG.nodeId, the host the caller read the reservation on ('' for none).
-- Returns 1 when taken back, 0 when the job was accepted meanwhile, -1 when the reservation is not where the
-- caller read it (read again and retry).
if redis.call('HGET', KEY.job, 'accepted') == '1' then return 0 end
local r = redis.call('HMGET', KEY.reservation, 'node', 'cpuMillis', 'memoryMiB', 'ports')
if (r[1] or '') ~= ARG.nodeId then return -1 end
redis.call('DEL', KEY.job)
redis.call('ZREM', KEY.index, ARG.jobId)
redis.call('SET', KEY.tombstone, '1', 'EX', 86400)
if ARG.hasName == '1' and redis.call('GET', KEY.name) == ARG.jobId then redis.call('DEL', KEY.name) end
if r[1] then give_back(KEY.reservation, KEY, ARG.jobId, r) end
return 1
