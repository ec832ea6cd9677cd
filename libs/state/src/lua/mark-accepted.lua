-- markAccepted: record that a job's message was confirmed, only while its record exists (never creating a
-- half-made one). Returns 1, or 0 when the record is gone (taken back, or lost with Redis).
if redis.call('HEXISTS', KEY.job, 'id') == 0 then return 0 end
redis.call('HSET', KEY.job, 'accepted', '1')
return 1
