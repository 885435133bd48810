-- Adds planned contacts not stored yet; returns how many were new.
-- ARGV: prefix, then groups of (id, campaign, account, step, channel, due ms, json, team or '').
local added, i = add_contacts(2, #ARGV)
return added
