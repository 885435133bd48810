-- ARGV: prefix, account id, status. 1 when the account exists.
if redis.call('HEXISTS', P .. 'accounts', ARGV[2]) == 0 then return 0 end
local old = redis.call('HGET', P .. 'acct_status', ARGV[2]) or 'active'
redis.call('HSET', P .. 'acct_status', ARGV[2], ARGV[3])
-- the expedientes list's status sets (keys.rs)
redis.call('ZREM', P .. 'acct_st:' .. old, ARGV[2])
redis.call('ZADD', P .. 'acct_st:' .. ARGV[3], 0, ARGV[2])
return 1
