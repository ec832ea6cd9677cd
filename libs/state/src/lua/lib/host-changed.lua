-- Marks a host's books changed: the host takes the next version of the cluster's change counter (the top score of
-- `changes`, a sorted set of node ids by version), so a scheduler's view reads only the hosts changed since it last
-- looked (see NodeView). Returns the host's new version.
local function host_changed(changes, node_id)
  local top = redis.call('ZREVRANGE', changes, 0, 0, 'WITHSCORES')
  local version = (tonumber(top[2]) or 0) + 1
  redis.call('ZADD', changes, version, node_id)
  return version
end
