-- reserveGroup: place an all-or-nothing group in one step: reserve every member's CPU, memory, slot and ports on
-- the host chosen for it and move every member from queued to scheduled (and out of its gang: `gang` reads
-- `placed`), or change nothing at all. Members may
-- share a host: what they ask of it is summed before it is checked (host_refusal). KEY.members holds five keys per
-- member, in ARG.members' order: its record, its reservation, and its host's hash, workloads and ports.
-- ARG.members: JSON [{jobId, nodeId, cpuMillis, memoryMiB, slots, ports ('80,443'), workload (JSON)}].
-- Returns {'ok', ''}; {'held', jobId} when a member already holds a reservation (a redelivery: the group was
-- placed); {'job', jobId, status} when a member is no longer queued; {'refused', nodeId, why} (see host_refusal;
-- `port:<n>` also when two members on one host bind the same port).
local members = cjson.decode(ARG.members)
local function key(i, k) return KEY.members[(i - 1) * 5 + k] end
local function host_of(i) return { node = key(i, 3), workloads = key(i, 4), ports = key(i, 5), changes = KEY.changes } end
for i, m in ipairs(members) do
  if redis.call('EXISTS', key(i, 2)) == 1 then return {'held', m.jobId} end
  local status = redis.call('HGET', key(i, 1), 'status')
  if status ~= 'queued' then return {'job', m.jobId, status or 'missing'} end
end
local asks, order = {}, {}
for i, m in ipairs(members) do
  local ask = asks[m.nodeId]
  if not ask then
    ask = { cpu = 0, mem = 0, count = 0, slots = tonumber(m.slots), ports = {}, seen = {}, first = i }
    asks[m.nodeId] = ask
    table.insert(order, m.nodeId)
  end
  ask.cpu = ask.cpu + tonumber(m.cpuMillis)
  ask.mem = ask.mem + tonumber(m.memoryMiB)
  ask.count = ask.count + 1
  for _, port in ipairs(port_list(m.ports)) do
    if ask.seen[port] then return {'refused', m.nodeId, 'port:' .. port} end
    ask.seen[port] = true
    table.insert(ask.ports, port)
  end
end
for _, node_id in ipairs(order) do
  local ask = asks[node_id]
  local why = host_refusal(host_of(ask.first), ask, tonumber(ARG.timeoutMs))
  if why then return {'refused', node_id, why} end
end
for i, m in ipairs(members) do
  take(host_of(i), key(i, 2), m.jobId, m.nodeId, tonumber(m.cpuMillis), tonumber(m.memoryMiB), m.ports, m.workload)
  set_status(key(i, 1), 'scheduled', ARG.nowIso)
  redis.call('HSET', key(i, 1), 'node', m.nodeId)
  redis.call('HDEL', key(i, 1), 'verdicts', 'reason') -- it waited with its group; placed, that is over
  -- Placed: from now on each job is its own (a later reschedule places it alone).
  redis.call('HSET', key(i, 1), 'gang', 'placed')
  emit_job_event(KEY.events, key(i, 1))
end
return {'ok', ''}
