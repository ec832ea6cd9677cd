-- createJob: claim the job's name (if any) and its idempotency key (if any), and write the job record and its
-- index entry, in one step, so a name or a key can never point at a job that was not written. Without a name
-- (ARG.name '') or a key (ARG.fingerprint ''), KEY.name and KEY.idempotency are the job's own key, untouched. The
-- record keeps its key's name (ARG.idempotencyKey, namespace/key), so the job's expiry can delete the key too.
-- Returns {'ok', ''}, {'name-taken', holder id} or {'replay', 'job id|fingerprint'} when the key was used before.
if ARG.fingerprint ~= '' then
  local earlier = redis.call('GET', KEY.idempotency)
  if earlier then return {'replay', earlier} end
end
if ARG.name ~= '' then
  local holder = redis.call('GET', KEY.name)
  if holder then return {'name-taken', holder} end
  redis.call('SET', KEY.name, ARG.id)
end
if ARG.fingerprint ~= '' then
  redis.call('SET', KEY.idempotency, ARG.id .. '|' .. ARG.fingerprint, 'EX', tonumber(ARG.keyLifetimeSeconds))
end
write_new_job(KEY.job, KEY.index, KEY.events, ARG)
if ARG.fingerprint ~= '' then redis.call('HSET', KEY.job, 'idempotencyKey', ARG.idempotencyKey) end
return {'ok', ''}
