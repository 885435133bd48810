-- ARGV: prefix, account id, status. 1 when the account exists.
if redis.call('HEXISTS', P .. 'accounts', ARGV[2]) == 0 then return 0 end
redis.call('HSET', P .. 'acct_status', ARGV[2], ARGV[3])
return 1
