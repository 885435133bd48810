-- Crash recovery (StateMove::RecoverQueued, StateMove::RecoverSending).
-- ARGV: prefix, queued_before ms, sending_before ms, detail for unknown
-- rows. Returns {requeued, unknown}.
local requeued, unknown = 0, 0
local ids = redis.call('ZRANGEBYSCORE', P .. 'queued', '-inf', '(' .. ARGV[2])
for _, id in ipairs(ids) do
  local key = P .. 'c:' .. id
  redis.call('ZREM', P .. 'queued', id)
  local c = redis.call('HMGET', key, 'state', 'due', 'campaign', 'team')
  if FROM.recover_queued[c[1]] then
    redis.call('HSET', key, 'state', 'pending')
    redis.call('ZADD', due_key(c[4]), c[2], id)
    move(c[3], 'queued', 'pending')
    requeued = requeued + 1
  end
end
ids = redis.call('ZRANGEBYSCORE', P .. 'sending', '-inf', '(' .. ARGV[3])
for _, id in ipairs(ids) do
  local key = P .. 'c:' .. id
  redis.call('ZREM', P .. 'sending', id)
  local c = redis.call('HMGET', key, 'campaign', 'account', 'step', 'channel', 'attempt', 'state', 'sending_at', 'team')
  -- a collector's task is `sending` while it is leased: its lease, not
  -- this recovery, says when it goes back (WorkStore)
  if FROM.recover_sending[c[6]] and (c[8] == nil or c[8] == false or c[8] == '') then
    redis.call('HSET', key, 'state', 'unknown')
    enter_unknown(id)
    move(c[1], 'sending', 'unknown')
    -- the row is dated at the reservation: that is when the attempt whose
    -- outcome is unknown happened
    local at = c[7] or ''
    ledger(row(id, c, 'unknown', at, '', ARGV[4]), c[1], c[2], '')
    unknown = unknown + 1
  end
end
return {requeued, unknown}
