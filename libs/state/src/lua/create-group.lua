-- createGroup: the jobs of one request with replicas, all or none: claim every member's name and the request's
-- idempotency key, write every record (each knows its group; with ARG.allOrNothing '1' each is marked `gang`, so
-- the scheduler places them together) and the group's own record, in one step. KEY.members holds two keys per
-- member, in ARG.members' order: its record and its name's claim (the record again when it has no name). The
-- idempotency key points at the first member, which keeps its name (ARG.idempotencyKey) as a single job does.
-- ARG.members: JSON [{id, name (namespace/name or ''), spec (JSON)}].
-- Returns {'ok', ''}, {'name-taken', 'name|holder id'} or {'replay', 'job id|fingerprint'}.
local members = cjson.decode(ARG.members)
if ARG.fingerprint ~= '' then
  local earlier = redis.call('GET', KEY.idempotency)
  if earlier then return {'replay', earlier} end
end
for i, m in ipairs(members) do
  if m.name ~= '' then
    local holder = redis.call('GET', KEY.members[2 * i])
    if holder then return {'name-taken', m.name .. '|' .. holder} end
  end
end
local ids = {}
for i, m in ipairs(members) do
  local job_key = KEY.members[2 * i - 1]
  if m.name ~= '' then redis.call('SET', KEY.members[2 * i], m.id) end
  write_new_job(job_key, KEY.index, KEY.events, { id = m.id, namespace = ARG.namespace, spec = m.spec,
    name = m.name, nowIso = ARG.nowIso, nowMs = ARG.nowMs, history = ARG.history })
  redis.call('HSET', job_key, 'group', ARG.groupId)
  if ARG.allOrNothing == '1' then
    redis.call('HSET', job_key, 'gang', '1')
    -- The first job carries the group's tries (and their reasons); the others say where to look.
    if i > 1 then
      redis.call('HSET', job_key, 'reason', 'placed together with its group ' .. ARG.groupId .. ' (all or nothing)')
    end
  end
  table.insert(ids, m.id)
end
if ARG.fingerprint ~= '' then
  redis.call('SET', KEY.idempotency, ids[1] .. '|' .. ARG.fingerprint, 'EX', tonumber(ARG.keyLifetimeSeconds))
  redis.call('HSET', KEY.members[1], 'idempotencyKey', ARG.idempotencyKey)
end
redis.call('HSET', KEY.group, 'id', ARG.groupId, 'namespace', ARG.namespace, 'name', ARG.groupName,
  'allOrNothing', ARG.allOrNothing, 'members', cjson.encode(ids), 'createdAt', ARG.nowIso, 'live', #ids)
return {'ok', ''}
