-- Whether a host can take what is asked of it now: alive (by Redis's clock, the one that stamped the heartbeat), not
-- cordoned, with the CPU, memory, container slots (ask.slots < 0: no cap) and host ports. These are the scheduler's
-- health, resources, containerslots and port filters, in their order; a test holds the two against each other.
-- Returns nil when it fits, else why not: gone, down, cordoned, memory, cpu, slots or port:<n>.
local function host_refusal(host, ask, timeout_ms)
  local n = redis.call('HMGET', host.node, 'status', 'cpuMillis', 'memoryMiB', 'allocCpuMillis', 'allocMemoryMiB',
    'heartbeatMs', 'containers', 'schedulable')
  if not n[1] then return 'gone' end
  if n[1] ~= 'ready' or server_ms() - tonumber(n[6] or 0) > timeout_ms then return 'down' end
  if n[8] == 'false' then return 'cordoned' end
  if tonumber(n[5] or 0) + ask.mem > tonumber(n[3]) then return 'memory' end
  if tonumber(n[4] or 0) + ask.cpu > tonumber(n[2]) then return 'cpu' end
  if ask.slots >= 0 and tonumber(n[7] or 0) + ask.count > ask.slots then return 'slots' end
  for _, port in ipairs(ask.ports) do
    if redis.call('SISMEMBER', host.ports, port) == 1 then return 'port:' .. port end
  end
  return nil
end

local function port_list(ports)
  local list = {}
  for port in string.gmatch(ports, '[^,]+') do table.insert(list, port) end
  return list
end
