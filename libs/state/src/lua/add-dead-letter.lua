-- addDeadLetter: store a dead letter unless it is there already (a redelivery), index it by when it died, count its
-- bytes (ARG.bytes) in KEY.bytes, and drop the oldest so that at most ARG.cap letters and ARG.maxBytes bytes stay.
-- KEY.evicted are the records of ARG.evictedIds (JSON): the oldest in the index, as few as keep both caps, as the
-- caller read them. ARG.fields: the record's fields (JSON object).
-- Returns 1 when stored, 0 for a repeat, -1 when the oldest are not those the caller read, or more or fewer than
-- the caps need (read again and retry).
if redis.call('EXISTS', KEY.record) == 1 then return 0 end
local ids = cjson.decode(ARG.evictedIds)
local count = redis.call('ZCARD', KEY.index)
local total = tonumber(redis.call('GET', KEY.bytes) or '0')
local bytes = tonumber(ARG.bytes)
if #ids > 0 then
  local oldest = redis.call('ZRANGE', KEY.index, 0, #ids - 1)
  if #oldest ~= #ids then return -1 end
  for i, id in ipairs(oldest) do
    if ids[i] ~= id then return -1 end
  end
end
local sizes = {}
local freed = 0
for i = 1, #ids do
  sizes[i] = tonumber(redis.call('HGET', KEY.evicted[i], 'storedBytes') or '0')
  freed = freed + sizes[i]
end
local function fits(evicted, freed_bytes)
  return count - evicted + 1 <= tonumber(ARG.cap) and total - freed_bytes + bytes <= tonumber(ARG.maxBytes)
end
-- Dropping every letter always makes room (one letter is within any cap): the counter then starts again from this
-- one, should it ever have drifted.
local everything = #ids == count
if not fits(#ids, freed) and not everything then return -1 end
if #ids > 0 and fits(#ids - 1, freed - sizes[#ids]) then return -1 end
for field, value in pairs(cjson.decode(ARG.fields)) do
  redis.call('HSET', KEY.record, field, value)
end
redis.call('HSET', KEY.record, 'storedBytes', bytes)
for i, id in ipairs(ids) do
  redis.call('DEL', KEY.evicted[i])
  redis.call('ZREM', KEY.index, id)
end
redis.call('ZADD', KEY.index, ARG.atMs, ARG.id)
if everything then
  redis.call('SET', KEY.bytes, bytes)
else
  redis.call('INCRBY', KEY.bytes, bytes - freed)
end
return 1
