-- claimNode: an agent claims its node id before it consumes the host's queue or touches its books. A live agent of
-- another instance (another machine, or another Docker endpoint) already holding the id keeps it: the claim is
-- refused and the conflict recorded on the host, for GET /v1/nodes. A host down (or silent past the timeout), or
-- the same instance restarting, may claim it. A claim on an id Redis does not know yet holds it for one timeout,
-- until the agent registers, so two new agents with one id cannot both get it. Heartbeats then check the owner.
-- Returns 1 when claimed, 0 when refused.
local n = redis.call('HMGET', KEY.node, 'instance', 'status', 'heartbeatMs')
local live = n[2] ~= 'down' and server_ms() - tonumber(n[3] or 0) <= tonumber(ARG.timeoutMs)
if n[1] and n[1] ~= '' and n[1] ~= ARG.instance and live then
  redis.call('HSET', KEY.node, 'conflict', ARG.conflict)
  return 0
end
redis.call('HSET', KEY.node, 'instance', ARG.instance)
if not n[3] then redis.call('HSET', KEY.node, 'heartbeatMs', server_ms()) end
redis.call('HDEL', KEY.node, 'conflict')
return 1
