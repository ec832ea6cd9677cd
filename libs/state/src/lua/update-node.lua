-- updateNode: set fields (ARG.fields, a JSON object) of a registered host, never creating one.
-- Returns 1, or 0 when the host is unknown.
if redis.call('EXISTS', KEY.node) == 0 then return 0 end
for field, value in pairs(cjson.decode(ARG.fields)) do
  redis.call('HSET', KEY.node, field, value)
end
return 1
