-- text.lua — small string helpers shared by rules and templates
-- (require("text")).
local text = {}

-- s without leading and trailing white space.
function text.trim(s)
  s = s:gsub("^%s+", "")
  return (s:gsub("%s+$", ""))
end

-- Whether s is nil or only white space.
function text.is_blank(s)
  return s == nil or s:find("^%s*$") ~= nil
end

-- The pieces of s between occurrences of sep (a plain string, not a
-- pattern), empty pieces included.
function text.split(s, sep)
  local parts, start = {}, 1
  while true do
    local i, j = s:find(sep, start, true)
    if i == nil then
      parts[#parts + 1] = s:sub(start)
      return parts
    end
    parts[#parts + 1] = s:sub(start, i - 1)
    start = j + 1
  end
end

-- s with all but its first head and last tail characters replaced by
-- "*", as ID numbers are shown: text.mask("43010219900101123X", 3, 4)
-- gives "430***********123X". Counts bytes: for ASCII identifiers.
function text.mask(s, head, tail)
  local n = #s
  if n <= head + tail then
    return s
  end
  return s:sub(1, head) .. ("*"):rep(n - head - tail) .. s:sub(n - tail + 1)
end

return text
