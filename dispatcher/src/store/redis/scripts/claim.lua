-- Claims due contacts (StateMove::Claim), parking those of paused campaigns.
-- ARGV: prefix, now ms, limit. Returns flat (json, due, attempt) triples.
local now = ARGV[2]
local ids = redis.call('ZRANGEBYSCORE', P .. 'due', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local any_paused = redis.call('SCARD', P .. 'paused') > 0
local out = {}
for _, id in ipairs(ids) do
  local key = P .. 'c:' .. id
  defer('ZREM', P .. 'due', id)
  local c = redis.call('HMGET', key, 'j', 'due', 'attempt', 'campaign', 'state')
  if FROM.claim[c[5]] and any_paused and redis.call('SISMEMBER', P .. 'paused', c[4]) == 1 then
    -- parked (still pending) until the campaign resumes
    redis.call('ZADD', P .. 'pz:' .. c[4], c[2], id)
  elseif FROM.claim[c[5]] then
    redis.call('HSET', key, 'state', 'queued', 'claimed', now)
    defer('ZADD', P .. 'queued', now, id)
    move(c[4], 'pending', 'queued')
    out[#out + 1] = c[1]
    out[#out + 1] = c[2]
    out[#out + 1] = c[3]
  end
end
return out
