-- Redis's own clock, in ms: liveness is stamped and judged by it, never by the clock of the host that reports.
local function server_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
