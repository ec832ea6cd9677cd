-- transitionJob: move a job forward in its state machine, or refuse.
-- ARG.allowedFrom: allowed current statuses (comma-separated); ARG.fields: JSON object of fields to set (node,
-- containerId, reason...); ARG.expectNode: the host the job must be on ('' for any): a report from a host the
-- job has left is stale. A job already in the new status only gets the fields (a replay, or a waiting job's new
-- reason). Moving to removed frees the job's name: KEY.name is its claim, read by the caller as ARG.name. A job
-- that has finished for good is put on KEY.expiring (and taken off when it moves on): see lib/retention.lua.
-- Returns {'ok', previous}, {'same', previous}, {'refused', current}, {'stale', node}, {'missing', ''}, or
-- {'retry', ''} when the job's name is not the one the caller passed.
local current = redis.call('HGET', KEY.job, 'status')
if not current then return {'missing', ''} end
if ARG.expectNode ~= '' and redis.call('HGET', KEY.job, 'node') ~= ARG.expectNode then
  return {'stale', redis.call('HGET', KEY.job, 'node') or ''}
end
local name = redis.call('HGET', KEY.job, 'name') or ''
if ARG.status == 'removed' and name ~= ARG.name then return {'retry', ''} end
local outcome = 'ok'
if current == ARG.status then
  outcome = 'same'
else
  local allowed = false
  for s in string.gmatch(ARG.allowedFrom, '[^,]+') do
    if s == current then allowed = true end
  end
  if not allowed then return {'refused', current} end
  set_status(KEY.job, ARG.status, ARG.nowIso)
end
for field, value in pairs(cjson.decode(ARG.fields)) do
  redis.call('HSET', KEY.job, field, value)
end
if ARG.status == 'removed' and name ~= '' and redis.call('GET', KEY.name) == redis.call('HGET', KEY.job, 'id') then
  redis.call('DEL', KEY.name)
end
track_retention(KEY.job, KEY.expiring, redis.call('HGET', KEY.job, 'id'))
if outcome == 'ok' then emit_job_event(KEY.events, KEY.job) end
return {outcome, current}
