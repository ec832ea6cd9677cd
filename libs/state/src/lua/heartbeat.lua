-- heartbeat: keep a registered host alive. It never creates a host: a missing record means Redis lost the
-- cluster's state, and the agent must register again and rebuild the host's books (returns 0). A host still
-- restoring stays so. Returns 1, or 0 when the host is unknown.
local status = redis.call('HGET', KEY.node, 'status')
if not status then return 0 end
if status == 'restoring' then
  redis.call('HSET', KEY.node, 'heartbeatAt', ARG.nowIso, 'heartbeatMs', ARG.nowMs)
else
  redis.call('HSET', KEY.node, 'status', 'ready', 'heartbeatAt', ARG.nowIso, 'heartbeatMs', ARG.nowMs)
end
return 1
