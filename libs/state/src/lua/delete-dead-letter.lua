-- deleteDeadLetter: drop one dead letter, its index entry and its bytes from the count of stored bytes.
-- Returns 1 when it was there, 0 when not.
local size = redis.call('HGET', KEY.record, 'storedBytes')
if redis.call('DEL', KEY.record) == 0 then return 0 end
redis.call('ZREM', KEY.index, ARG.id)
if size then redis.call('DECRBY', KEY.bytes, tonumber(size)) end
return 1
