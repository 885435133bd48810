-- Adds planned contacts not stored yet; returns how many were new.
-- ARGV: prefix, then groups of (id, account, field, step info JSON, due
-- ms in base 36, '1' for an odd id else '') (common.lua, add_contacts).
local added, i = add_contacts(2, #ARGV)
return added
