-- claimOverdueJobs: of the jobs ARG.jobIds (a JSON list, their records in KEY.jobs in the same order), claim those
-- whose try on KEY.waiting is overdue (Redis's clock): their message was lost. A claimed job moves to its next attempt
-- (so a late copy of the lost message is stale) and is due again after ARG.leaseMs, in case the caller dies before it
-- publishes. A job that no longer waits for the scheduler leaves the list: only a queued job, or one being removed
-- before it reached a host, still needs a place-job message. Several sweepers may run at once: a job one claimed is
-- no longer overdue for the others.
-- Returns a flat list: job id, its new attempt, when its placement began ('' when unknown), for each claimed job.
local now = server_ms()
local claimed = {}
for i, id in ipairs(cjson.decode(ARG.jobIds)) do
  local key = KEY.jobs[i]
  local due = redis.call('ZSCORE', KEY.waiting, id)
  if due and tonumber(due) <= now then
    local f = redis.call('HMGET', key, 'status', 'node', 'attempt', 'placingSince')
    if f[1] == 'queued' or (f[1] == 'removing' and (f[2] or '') == '') then
      local attempt = redis.call('HINCRBY', key, 'attempt', 1)
      redis.call('ZADD', KEY.waiting, now + tonumber(ARG.leaseMs), id)
      table.insert(claimed, id)
      table.insert(claimed, tostring(attempt))
      table.insert(claimed, f[4] or '')
    else
      redis.call('ZREM', KEY.waiting, id)
    end
  end
end
return claimed
