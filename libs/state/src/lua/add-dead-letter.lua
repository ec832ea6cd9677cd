-- addDeadLetter: store a dead letter unless it is there already (a redelivery), index it by when it died, and
-- drop the oldest beyond the cap. KEY.evicted are the records of ARG.evictedIds (JSON), the oldest the caller read
-- in the index. ARG.fields: the record's fields (JSON object).
-- Returns 1 when stored, 0 for a repeat, -1 when the oldest are not those the caller read (read again and retry).
if redis.call('EXISTS', KEY.record) == 1 then return 0 end
local ids = cjson.decode(ARG.evictedIds)
local over = redis.call('ZCARD', KEY.index) + 1 - tonumber(ARG.cap)
local oldest = {}
if over > 0 then oldest = redis.call('ZRANGE', KEY.index, 0, over - 1) end
if #oldest ~= #ids then return -1 end
for i, id in ipairs(oldest) do
  if ids[i] ~= id then return -1 end
end
for field, value in pairs(cjson.decode(ARG.fields)) do
  redis.call('HSET', KEY.record, field, value)
end
for i, id in ipairs(ids) do
  redis.call('DEL', KEY.evicted[i])
  redis.call('ZREM', KEY.index, id)
end
redis.call('ZADD', KEY.index, ARG.atMs, ARG.id)
return 1
