-- idcard.lua — checks of the 18-character citizen ID number (居民身份证号码,
-- GB 11643-1999) and the numbers built like it: HK/Macau/Taiwan residence
-- permits (810000/820000/830000) and the foreign permanent-residence ID
-- (starting with 9, 18 characters since 2023). require("idcard").
--
-- Problems are reported at separate levels, so a page can say what is
-- wrong rather than "invalid": format, province prefix, birth date, check
-- digit, and (a warning only) an age far from the school grade's.
-- The 6-digit area is deliberately not checked against a list of current
-- region codes: a number never changes after re-zoning, so historical
-- codes are valid forever.
local idcard = {}

-- GB 11643 / ISO 7064 MOD 11-2: weights of the first 17 digits and the
-- check character for each remainder of the weighted sum mod 11.
local WEIGHTS = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 }
local CHECK_CHARS = "10X98765432"

-- Province-level codes (GB/T 2260 first two digits), mainland ones.
local MAINLAND = {}
for _, r in ipairs({ { 11, 15 }, { 21, 23 }, { 31, 37 }, { 41, 46 },
  { 50, 54 }, { 61, 65 } }) do
  for c = r[1], r[2] do
    MAINLAND[c] = true
  end
end
idcard.mainland_provinces = MAINLAND

-- Codes beyond the mainland: Taiwan (71) as GB/T 2260 lists it; the
-- residence permits of HK (81), Macau (82) and Taiwan (83) residents,
-- which only ever carry the area 0000.
local PERMIT = { [81] = true, [82] = true, [83] = true }

-- A problem in both languages: message in Chinese (zh-CN pages and the
-- API by default), message_en in English; the page or API shows one.
local function issue(list, level, code, zh, en)
  list[#list + 1] = { level = level, code = code, message = zh,
    message_en = en }
end

-- s trimmed (ASCII and ideographic space), full-width digits and X made
-- ASCII, a lower-case x made X. nil when s is not a string or a number.
function idcard.normalize(s)
  if type(s) == "number" and math.type(s) == "integer" then
    s = string.format("%d", s)
  end
  if type(s) ~= "string" then
    return nil
  end
  -- The usual value is already plain: digits and capitals (a district
  -- checks a million of them after a rule change).
  if s:find("^[%dA-Z]*$") then
    return s
  end
  s = s:gsub("\227\128\128", " ") -- U+3000 ideographic space
  s = s:gsub("\239\188([\144-\153])", function(c)
    return string.char(c:byte() - 0x90 + 0x30) -- U+FF10..FF19
  end)
  s = s:gsub("\239\188\184", "X"):gsub("\239\189\152", "X") -- Ｘ ｘ
  s = s:gsub("^%s+", ""):gsub("%s+$", "")
  return (s:gsub("x", "X"))
end

-- The check character of a 17-digit string.
function idcard.check_char(base17)
  local sum = 0
  for i = 1, 17 do
    sum = sum + (base17:byte(i) - 48) * WEIGHTS[i]
  end
  local r = sum % 11 + 1
  return CHECK_CHARS:sub(r, r)
end

function idcard.is_leap(y)
  return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
end

-- Whether y-m-d is a real calendar date.
function idcard.real_date(y, m, d)
  if m < 1 or m > 12 or d < 1 then
    return false
  end
  local days = ({ 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 })[m]
  if m == 2 and idcard.is_leap(y) then
    days = 29
  end
  return d <= days
end

-- Today as y, m, d from opts.today: an os.time value, "YYYY-MM-DD", or
-- nil for the host clock. The last conversion is kept: checks in a batch
-- share the same second.
local last_t, last_y, last_m, last_d
local function today_ymd(today)
  if type(today) == "string" then
    local y, m, d = today:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
    if y then
      return tonumber(y), tonumber(m), tonumber(d)
    end
    today = nil
  end
  local t = type(today) == "number" and today or os.time()
  if t ~= last_t then
    local d = os.date("*t", t)
    last_t, last_y, last_m, last_d = t, d.year, d.month, d.day
  end
  return last_y, last_m, last_d
end

local ID_PATTERN = "^" .. ("%d"):rep(17) .. "[%dX]$"

local function well_formed(s)
  return s ~= nil and #s == 18 and s:find(ID_PATTERN) ~= nil
end

-- The birth date of ID number s as year, month, day; nil when s is not
-- well formed or the date is not real.
function idcard.birth(s)
  s = idcard.normalize(s)
  if not well_formed(s) then
    return nil
  end
  local y, m, d = tonumber(s:sub(7, 10)), tonumber(s:sub(11, 12)),
      tonumber(s:sub(13, 14))
  if not idcard.real_date(y, m, d) then
    return nil
  end
  return y, m, d
end

-- "男" or "女" from the 17th digit (odd: male); nil when not well formed.
function idcard.gender(s)
  s = idcard.normalize(s)
  if not well_formed(s) then
    return nil
  end
  return (s:byte(17) - 48) % 2 == 1 and "男" or "女"
end

-- The grade as an integer 1..12, or nil when it is not one.
local function grade_number(g)
  g = tonumber(g)
  if g == nil or g ~= math.floor(g) or g < 1 or g > 12 then
    return nil
  end
  return math.floor(g)
end

--[[
The problems of ID number s: a list of {level = "error" | "warning",
code, message, message_en} (message in Chinese, message_en in English);
an empty list means valid. opts (optional):
  grade  the student's grade (1..12): the age at the start of the school
         year (1 September) is usually 5+g..7+g; outside 4+g..9+g gives a
         warning
  today  an os.time value or "YYYY-MM-DD" (default: the host clock)
  what   {zh, en}: how messages name the number (default 身份证号)
  no_province  skip the province prefix (numbers only built like IDs)
Codes: empty, format (nothing else is checked then), province, area,
birth_date, birth_future, check_digit, birth_age.
]]
local ID_WHAT = { zh = "身份证号", en = "ID number" }

function idcard.check(s, opts)
  opts = opts or {}
  local what = opts.what or ID_WHAT
  local list = {}
  local n = idcard.normalize(s)
  if n == nil or n == "" then
    issue(list, "error", "empty", what.zh .. "为空", what.en .. " is empty")
    return list
  end
  if not well_formed(n) then
    issue(list, "error", "format",
      what.zh .. "格式错误：应为 18 位，前 17 位为数字，末位为数字或 X",
      what.en .. " must be 18 characters: 17 digits, then a digit or X")
    return list
  end

  if not opts.no_province then
    local p = tonumber(n:sub(1, 2))
    if n:sub(1, 1) == "9" then
      -- Foreign permanent-residence ID: 9, the province where it was
      -- issued, the nationality code, birth date, sequence, check digit.
      if not MAINLAND[tonumber(n:sub(2, 3))] then
        issue(list, "error", "province",
          what.zh .. "（外国人永久居留身份证）第 2–3 位 " .. n:sub(2, 3) ..
          " 不是有效的省级代码",
          "digits 2-3 of the permanent-residence ID, " .. n:sub(2, 3) ..
          ", are not a province code")
      end
    elseif PERMIT[p] then
      if n:sub(3, 6) ~= "0000" then
        issue(list, "error", "area",
          what.zh .. "前 6 位 " .. n:sub(1, 6) ..
          " 无效：港澳台居民居住证应以 810000、820000 或 830000 开头",
          "prefix " .. n:sub(1, 6) ..
          " is invalid: residence permits start with 810000, 820000 or 830000")
      end
    elseif not MAINLAND[p] and p ~= 71 then
      issue(list, "error", "province",
        what.zh .. "前 2 位 " .. n:sub(1, 2) .. " 不是有效的省级代码",
        "the first two digits, " .. n:sub(1, 2) .. ", are not a province code")
    end
  end

  local y, m, d = tonumber(n:sub(7, 10)), tonumber(n:sub(11, 12)),
      tonumber(n:sub(13, 14))
  local birth_ok = false
  if y < 1900 or not idcard.real_date(y, m, d) then
    issue(list, "error", "birth_date",
      what.zh .. "中的出生日期 " .. n:sub(7, 14) .. " 不是有效日期",
      "the birth date " .. n:sub(7, 14) .. " is not a real date")
  else
    local ty, tm, td = today_ymd(opts.today)
    if y * 10000 + m * 100 + d > ty * 10000 + tm * 100 + td then
      issue(list, "error", "birth_future",
        what.zh .. "中的出生日期 " .. n:sub(7, 14) .. " 晚于今天",
        "the birth date " .. n:sub(7, 14) .. " is in the future")
    else
      birth_ok = true
    end
  end

  local want = idcard.check_char(n:sub(1, 17))
  if n:sub(18, 18) ~= want then
    issue(list, "error", "check_digit",
      what.zh .. "校验位错误：末位应为 " .. want,
      "wrong check digit: the last character should be " .. want)
  end

  local g = grade_number(opts.grade)
  if birth_ok and g ~= nil then
    local ty, tm = today_ymd(opts.today)
    -- Age on 1 September of the current school year.
    local sy = tm >= 9 and ty or ty - 1
    local age = sy - y
    if m > 9 or (m == 9 and d > 1) then
      age = age - 1
    end
    if age < 4 + g or age > 9 + g then
      issue(list, "warning", "birth_age",
        string.format("%s中的出生日期 %s 与年级不符：开学时 %d 岁，"
          .. "%d 年级通常为 %d–%d 岁",
          what.zh, n:sub(7, 14), age, g, 5 + g, 7 + g),
        string.format("the birth date %s does not fit grade %d: aged %d "
          .. "at the start of the school year, usually %d-%d",
          n:sub(7, 14), g, age, 5 + g, 7 + g))
    end
  end
  return list
end

-- Whether s is a valid ID number (no errors; warnings allowed).
function idcard.valid(s, opts)
  for _, i in ipairs(idcard.check(s, opts)) do
    if i.level == "error" then
      return false
    end
  end
  return true
end

return idcard
