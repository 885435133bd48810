-- ARGV: prefix, account id, status. 1 when the account exists.
-- An active account has no entry in P:acct_status nor in a status set
-- (keys.rs): most accounts are active, and absent means active.
if redis.call('HEXISTS', P .. 'accounts', ARGV[2]) == 0 then return 0 end
local old = redis.call('HGET', P .. 'acct_status', ARGV[2]) or 'active'
if ARGV[3] == 'active' then
  redis.call('HDEL', P .. 'acct_status', ARGV[2])
else
  redis.call('HSET', P .. 'acct_status', ARGV[2], ARGV[3])
end
-- the expedientes list's status sets (keys.rs)
if old ~= 'active' then redis.call('ZREM', P .. 'acct_st:' .. old, ARGV[2]) end
if ARGV[3] ~= 'active' then redis.call('ZADD', P .. 'acct_st:' .. ARGV[3], 0, ARGV[2]) end
return 1
