-- heartbeat: keep a registered host alive. It never creates a host: a missing record means Redis lost the
-- cluster's state, and the agent must register again and rebuild the host's books (returns 0). A host still
-- restoring stays so. Stamped with Redis's clock: a host whose own clock is wrong is still judged fairly.
-- Returns 1, or 0 when the host is unknown.
local status = redis.call('HGET', KEY.node, 'status')
if not status then return 0 end
if status == 'restoring' then
  redis.call('HSET', KEY.node, 'heartbeatMs', server_ms())
else
  redis.call('HSET', KEY.node, 'status', 'ready', 'heartbeatMs', server_ms())
end
return 1
