-- noteNodeDown: record that a host's heartbeat has lapsed (by Redis's clock, past ARG.timeoutMs), once: its state is
-- worked out from the heartbeat's age when read, but a watcher hears of the change only if it is written. Several
-- schedulers may call this at once; only the first records it. A heartbeat makes the host ready again. Only a ready
-- host is marked: one still restoring its books must stay so (a heartbeat would make a down one ready).
-- Returns 1 when this call recorded it.
local n = redis.call('HMGET', KEY.node, 'status', 'heartbeatMs', 'id')
if n[1] ~= 'ready' then return 0 end
if server_ms() - tonumber(n[2] or 0) <= tonumber(ARG.timeoutMs) then return 0 end
redis.call('HSET', KEY.node, 'status', 'down')
emit_node_event(KEY.events, KEY.node)
host_changed(KEY.changes, n[3])
return 1
