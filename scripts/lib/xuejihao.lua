-- xuejihao.lua — checks of the 全国学籍号 (national student number) in
-- its three forms. require("xuejihao").
--
--   G + the 18-character ID number: valid as an ID number; differing
--       from the student's current ID number is only a warning (the G
--       number keeps the ID it was issued with).
--   J + 18 characters built like an ID number, with the same MOD 11-2
--       check digit (students without an ID number when enrolled).
--   L + 6-digit area + 8-digit birth date + 4 digits: a temporary
--       number, without check digit; the date must be real.
local idcard = require("idcard")

local xuejihao = {}

-- A problem in both languages: message in Chinese (zh-CN pages and the
-- API by default), message_en in English; the page or API shows one.
local function issue(list, level, code, zh, en)
  list[#list + 1] = { level = level, code = code, message = zh,
    message_en = en }
end

-- no trimmed, full-width characters made ASCII, letters upper-case.
function xuejihao.normalize(no)
  local n = idcard.normalize(no)
  return n and n:upper()
end

--[[
The problems of national student number no: a list of {level, code,
message}, empty when valid. opts (optional): id_number, the student's
current ID number (for G numbers); today, as for idcard.check. Codes:
empty, format, g_id_mismatch, and idcard.check's for the embedded number.
]]
function xuejihao.check(no, opts)
  opts = opts or {}
  local list = {}
  local n = xuejihao.normalize(no)
  if n == nil or n == "" then
    issue(list, "error", "empty", "全国学籍号为空",
      "national student number is empty")
    return list
  end
  local form, rest = n:sub(1, 1), n:sub(2)
  if (form == "G" or form == "J") and #rest == 18 then
    local what = form == "G"
        and { zh = "全国学籍号（G 号）中的身份证号",
              en = "the ID number in the G national student number" }
        or { zh = "全国学籍号（J 号）", en = "J national student number" }
    list = idcard.check(rest, { today = opts.today, what = what,
      no_province = form == "J" })
    if form == "G" and #list == 0 then
      local id = idcard.normalize(opts.id_number)
      if id ~= nil and id ~= "" and id ~= rest then
        issue(list, "warning", "g_id_mismatch",
          "全国学籍号（G 号）中的身份证号与当前身份证号不一致",
          "the G number's ID number differs from the current ID number")
      end
    end
    return list
  end
  if form == "L" and rest:find("^" .. ("%d"):rep(18) .. "$") then
    local p = tonumber(rest:sub(1, 2))
    if not idcard.mainland_provinces[p] then
      issue(list, "error", "province",
        "全国学籍号（L 号）的地区码 " .. rest:sub(1, 6) .. " 不是有效的省级代码",
        "the area " .. rest:sub(1, 6) ..
        " of the L number is not under a province code")
    end
    local y, m, d = tonumber(rest:sub(7, 10)), tonumber(rest:sub(11, 12)),
        tonumber(rest:sub(13, 14))
    if y < 1900 or not idcard.real_date(y, m, d) then
      issue(list, "error", "birth_date",
        "全国学籍号（L 号）中的出生日期 " .. rest:sub(7, 14) .. " 不是有效日期",
        "the birth date " .. rest:sub(7, 14) .. " of the L number is not real")
    end
    return list
  end
  issue(list, "error", "format",
    "全国学籍号格式错误：应为 G 或 J 加 18 位身份证式号码，"
    .. "或 L 加 6 位地区码、8 位出生日期和 4 位数字",
    "a national student number is G or J and 18 characters built like "
    .. "an ID number, or L, a 6-digit area, an 8-digit birth date and "
    .. "4 digits")
  return list
end

return xuejihao
