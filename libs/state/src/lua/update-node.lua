-- updateNode: set fields (ARG.fields, a JSON object) of a registered host, never creating one.
-- Returns 1, or 0 when the host is unknown.
-- A change of the host's state is an event; setting what it already is, is not.
if redis.call('EXISTS', KEY.node) == 0 then return 0 end
local changed = false
for field, value in pairs(cjson.decode(ARG.fields)) do
  if redis.call('HGET', KEY.node, field) ~= value then changed = true end
  redis.call('HSET', KEY.node, field, value)
end
if changed then
  emit_node_event(KEY.events, KEY.node)
  host_changed(KEY.changes, redis.call('HGET', KEY.node, 'id'))
end
return 1
