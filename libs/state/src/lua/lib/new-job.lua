-- Writes a new job's record as queued, with its index entry and its first event. The caller has claimed its name
-- (name '' for none) and checked everything else.
local function write_new_job(job_key, index_key, events_key, job)
  redis.call('HSET', job_key, 'id', job.id, 'namespace', job.namespace, 'status', 'queued', 'spec', job.spec,
    'createdAt', job.nowIso, 'updatedAt', job.nowIso, 'history', job.history)
  if job.name ~= '' then redis.call('HSET', job_key, 'name', job.name) end
  redis.call('ZADD', index_key, job.nowMs, job.id)
  emit_job_event(events_key, job_key)
end
