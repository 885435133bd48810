-- Crash recovery (StateMove::RecoverQueued, StateMove::RecoverSending).
-- ARGV: prefix, queued_before ms, sending_before ms, detail for unknown
-- rows. Returns {requeued, unknown}.
local requeued, unknown = 0, 0
local ids = redis.call('ZRANGEBYSCORE', P .. 'queued', '-inf', '(' .. ARGV[2])
for _, id in ipairs(ids) do
  redis.call('ZREM', P .. 'queued', id)
  local c = cload(id)
  if c and FROM.recover_queued[c.state] then
    c.state = 'pending'
    csave(c)
    due_add(c.team, c.due, id, c.field, c.account)
    move(c.campaign, 'queued', 'pending')
    requeued = requeued + 1
  end
end
ids = redis.call('ZRANGEBYSCORE', P .. 'sending', '-inf', '(' .. ARGV[3])
for _, id in ipairs(ids) do
  redis.call('ZREM', P .. 'sending', id)
  local c = cload(id)
  -- a collector's task is `sending` while it is leased: its lease, not
  -- this recovery, says when it goes back (WorkStore)
  if c and FROM.recover_sending[c.state] and c.team == '' then
    -- the row is dated at the reservation: that is when the attempt whose
    -- outcome is unknown happened
    local at = rfc3339(c.sat)
    c.state = 'unknown'
    csave(c)
    enter_unknown(id)
    move(c.campaign, 'sending', 'unknown')
    ledger(row(c, 'unknown', at, '', ARGV[4]), c.campaign, c.account, '')
    unknown = unknown + 1
  end
end
return {requeued, unknown}
