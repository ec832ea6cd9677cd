-- Appends a status to a job's history and sets it.
local function set_status(job_key, status, now_iso)
  local history = cjson.decode(redis.call('HGET', job_key, 'history') or '[]')
  table.insert(history, {status = status, at = now_iso})
  redis.call('HSET', job_key, 'status', status, 'updatedAt', now_iso, 'history', cjson.encode(history))
end
