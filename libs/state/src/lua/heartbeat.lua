-- heartbeat: keep a registered host alive. It never creates a host: a missing record means Redis lost the
-- cluster's state, and the agent must register again and rebuild the host's books (returns 0). A host still
-- restoring stays so. Stamped with Redis's clock: a host whose own clock is wrong is still judged fairly. Only the
-- agent instance that holds the node id may keep it alive: another gets -1, and must stop (see claimNode).
-- Returns 1, 0 when the host is unknown, or -1 when another instance holds the id.
local n = redis.call('HMGET', KEY.node, 'status', 'instance', 'id')
if not n[1] then return 0 end
if n[2] and n[2] ~= '' and ARG.instance ~= '' and n[2] ~= ARG.instance then return -1 end
if n[1] == 'restoring' then
  redis.call('HSET', KEY.node, 'heartbeatMs', server_ms())
else
  redis.call('HSET', KEY.node, 'status', 'ready', 'heartbeatMs', server_ms())
  if n[1] ~= 'ready' then
    emit_node_event(KEY.events, KEY.node)
    host_changed(KEY.changes, n[3])
  end
end
return 1
