-- Ends a task's lease when it is still the collector's.
-- ARGV: prefix, contact id, collector. 1 when it ended it.
local id, collector = ARGV[2], ARGV[3]
local json = redis.call('HGET', P .. 'lease', id)
if not json or cjson.decode(json).collector ~= collector then return 0 end
redis.call('HDEL', P .. 'lease', id)
redis.call('ZREM', P .. 'lease_until', id)
return 1
