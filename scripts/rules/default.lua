-- scripts/rules/default.lua — the default rules of every district.
--
-- A district's own chunk overrides only what it defines; everything else
-- comes from here. Rules are plain functions over plain tables. Reloaded
-- on SIGHUP. (The identity and keyinfo issues fill this in.)
local rules = {}

-- Days an unused initial password stays valid.
rules.initial_valid_days = 30

-- The password policy: nil when pw is acceptable, else the reason, in
-- the language of the page that asks (ctx.lang: "zh-CN" or "en").
-- ctx.initial_password is the account's initial password, if known.
function rules.password_policy(pw, ctx)
  ctx = ctx or {}
  local en = ctx.lang == "en"
  local function say(zh, english)
    return en and english or zh
  end
  if type(pw) ~= "string" or utf8.len(pw) == nil then
    return say("密码必须是有效的文本", "the password must be valid text")
  end
  if utf8.len(pw) < 8 then
    return say("密码至少需要 8 个字符",
      "the password needs at least 8 characters")
  end
  if not pw:find("%a") or not pw:find("%d") then
    return say("密码必须同时包含字母和数字",
      "the password needs both letters and digits")
  end
  if ctx.initial_password ~= nil and pw == ctx.initial_password then
    return say("新密码不能与初始密码相同",
      "the new password must differ from the initial one")
  end
  return nil
end

-- The initial password of a new or reset account. p.role is the role
-- ("teacher", "parent", "school_admin", "district_admin", "student"),
-- p.phone the phone number of an adult. Return nil to let the host
-- choose (the default, API.md "Logins"): adults activate their account
-- with an SMS code sent to their phone and then set a password (no
-- initial password exists); where the district has no SMS gateway, and
-- for students, 8 random characters without look-alikes, printed on a
-- slip.
--
-- A district may return its own password instead. The host calls the
-- rule twice for the same person: when both answers are equal the
-- password can be computed by anyone who knows the inputs (a phone
-- number, a birthday), so its first login also needs an SMS code to
-- the phone, and the rule is refused in a district without an SMS
-- gateway. A rule giving two people the same password, or one shorter
-- than 6 characters, is refused too. The seed's "last six digits":
--   function initial_password(p)
--     if p.role ~= "student" and p.phone then return p.phone:sub(-6) end
--   end
-- (scripts/districts/example.lua has the variant Changsha adopted.)
function rules.initial_password(p)
  return nil
end

-- ---- key information (全国学籍号, 市网学籍号, 身份证号) ----------------

-- The problems of a student's key information: student = {name, grade,
-- id_number, national_no, city_no}; a list of {field = "id_number" |
-- "national_no" | "city_no", level = "error" | "warning", code,
-- message, message_en}: message in Chinese, message_en in English (a
-- page or API reply shows the one of its language; a district's own rule
-- may give message only, which is then shown in both). Missing values are not reported here (completeness is
-- counted separately), only problems of present ones; passing = no
-- errors. Settings read from R (the district's effective rules):
-- city_no_pattern, a Lua pattern the 市网学籍号 must match (default: any
-- digits), and city_no_form, how messages describe it (city_no_form_en
-- in English; the pattern itself when not set).
local function present(v)
  if type(v) == "number" then
    return math.type(v) == "integer"
  end
  return type(v) == "string" and v:find("%S") ~= nil
end

local function add_problems(out, field, list)
  for _, i in ipairs(list) do
    out[#out + 1] = { field = field, level = i.level, code = i.code,
      message = i.message, message_en = i.message_en }
  end
end

function rules.keyinfo_check(student, R)
  R = R or rules
  student = student or {}
  local idcard = require("idcard")
  local xuejihao = require("xuejihao")
  local out = {}

  if present(student.id_number) then
    add_problems(out, "id_number", idcard.check(student.id_number,
      { grade = student.grade }))
  end
  if present(student.national_no) then
    local id = present(student.id_number) and student.id_number or nil
    add_problems(out, "national_no", xuejihao.check(student.national_no,
      { id_number = id }))
  end
  if present(student.city_no) then
    local no = idcard.normalize(student.city_no)
    local pattern = R.city_no_pattern
    if type(pattern) == "string" and pattern ~= "" then
      if not no:find(pattern) then
        local form = R.city_no_form or pattern
        out[#out + 1] = { field = "city_no", level = "error",
          code = "format",
          message = "市网学籍号格式不符合本地区要求，应为 " .. form,
          message_en = "the city student number does not have this " ..
            "district's form " .. (R.city_no_form_en or pattern) }
      end
    elseif not no:find("^%d+$") then
      out[#out + 1] = { field = "city_no", level = "error", code = "format",
        message = "市网学籍号只能由数字组成",
        message_en = "the city student number must be digits only" }
    end
  end
  return out
end

-- keyinfo_check over a list of students (the host checks students in
-- batches): a list of problem lists, in the same order. A district that
-- redefines keyinfo_check is used here too, through R.
function rules.keyinfo_check_all(students, R)
  R = R or rules
  local out = {}
  for i, s in ipairs(students) do
    out[i] = R.keyinfo_check(s, R) or {}
  end
  return out
end

-- ---- notices ---------------------------------------------------------

-- Quiet hours: WeChat and SMS of non-urgent notices composed inside them
-- wait until they end (local time, the config's `timezone`). None by
-- default; a district sets e.g.
--   quiet_hours = { from = "21:30", to = "07:00" }
-- (scripts/districts/example.lua does). Urgent notices never wait.
rules.quiet_hours = nil

-- The quiet hours as the notices plugin reads them: {from, to} or false.
function rules.notice_quiet_hours(R)
  R = R or rules
  local q = R.quiet_hours
  if type(q) ~= "table" or q.from == nil or q.to == nil then
    return false
  end
  return { from = q.from, to = q.to }
end

-- How a notice with a deadline chases those who have not read it: a list
-- of steps {before_deadline_hours, channel}, each run once at its time
-- (deadline minus the hours) to the recipients still unread then.
-- channel: "wechat" (in-app again, and WeChat to parents; a parent
-- WeChat cannot reach gets an SMS instead), "sms" (a text to their
-- phone), "call_list" (the head teacher's call list: the receipts and
-- /notices/calls). The steps are read when the notice is sent; steps
-- already past then are skipped. notice = {kind, urgent, deadline, hours_left}.
function rules.notice_escalation(notice, R)
  return {
    { before_deadline_hours = 24, channel = "wechat" },
    { before_deadline_hours = 6, channel = "sms" },
    { before_deadline_hours = 1, channel = "call_list" },
  }
end

-- Growth records (issue 16; the records plugin). A school year runs from
-- September: term 1 is September to January, term 2 February to August,
-- written "2026-2027-1". date is "YYYY-MM-DD" in the configured timezone.
function rules.records_term_of(date, R)
  local y, m = tonumber(date:sub(1, 4)), tonumber(date:sub(6, 7))
  if m >= 9 then
    return string.format("%d-%d-1", y, y + 1)
  elseif m == 1 then
    return string.format("%d-%d-1", y - 1, y)
  end
  return string.format("%d-%d-2", y - 1, y)
end

-- Days the previous term stays open for writing (late entries, review)
-- after the next one began.
rules.records_grace_days = 30

-- Days a class's 公示 lasts before the daily job closes it.
rules.records_publicity_days = 5

local function civil_days(y, m, d)
  -- days since 1970-01-01 of a proleptic Gregorian date
  if m <= 2 then
    y = y - 1
  end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

-- Whether the records of term may be created, changed, submitted and
-- reviewed on the day today ("YYYY-MM-DD"): the current term, and the
-- one before it for records_grace_days after the current one began. A
-- school admin may reopen another term for the school (kept by the
-- plugin, not here).
function rules.records_term_open(term, today, R)
  R = R or rules
  local cur = R.records_term_of(today, R)
  if term == cur then
    return true
  end
  local y1, y2, n = cur:match("^(%d+)-(%d+)-(%d)$")
  y1, y2 = tonumber(y1), tonumber(y2)
  local prev, start
  if n == "1" then
    prev = string.format("%d-%d-2", y1 - 1, y1)
    start = civil_days(y1, 9, 1)
  else
    prev = string.format("%d-%d-1", y1, y2)
    start = civil_days(y2, 2, 1)
  end
  local now = civil_days(tonumber(today:sub(1, 4)), tonumber(today:sub(6, 7)),
    tonumber(today:sub(9, 10)))
  return term == prev and now - start < (R.records_grace_days or 0)
end

-- Who may create records of a type in the district: creators is the
-- type's own list (student, parent, teacher, head_teacher, school_admin);
-- a district may return fewer (the plugin intersects: never more). E.g.
--   if type == "honor" then return { "teacher", "school_admin" } end
function rules.records_creators(type, creators, R)
  return creators
end

-- Minors' privacy in posts and comments (the feeds plugin): false when
-- text may be published, else the reason, in the language of the page
-- that asks (ctx.lang: "zh-CN" or "en"). Refuses an 18-digit ID number
-- (the last character may be X) and a mainland mobile number
-- (1[3-9] and nine digits, also written with spaces or dashes between
-- the groups, or after +86; full-width digits too). A district may
-- replace it.
function rules.post_privacy(text, ctx)
  ctx = ctx or {}
  local en = ctx.lang == "en"
  if type(text) ~= "string" then
    return false
  end
  -- join digits split by spaces or dashes ("138 0013 8000",
  -- "138-0013-8000"); a half-width or full-width space, a hyphen or dash
  local t = text:gsub("\u{3000}", " "):gsub("\u{2014}", "-")
    :gsub("\u{2013}", "-"):gsub("\u{FF0D}", "-")
    -- full-width digits and X (０-９ Ｘ) count as their ASCII selves
    :gsub("\xEF\xBC([\x90-\x99])", function(c)
      return string.char(c:byte() - 0x90 + 48)
    end)
    :gsub("\u{FF38}", "X"):gsub("\u{FF58}", "x")
  local prev
  repeat
    prev = t
    t = t:gsub("(%d)[ %-]+(%d)", "%1%2")
  until t == prev
  for run in t:gmatch("%d+[Xx]?") do
    local digits = run:gsub("[Xx]$", "")
    local n = #run
    if n == 18 and #digits >= 17 then
      return en and "The text holds an ID number: remove it to protect privacy."
        or "内容含有身份证号，为保护隐私请删除后再发布。"
    end
    if #digits == n then
      if (n == 11 and run:match("^1[3-9]%d+$"))
        or (n == 13 and run:match("^861[3-9]%d+$")) then
        return en and "The text holds a mobile number: remove it to protect privacy."
          or "内容含有手机号码，为保护隐私请删除后再发布。"
      end
    end
  end
  return false
end

-- Social practice (issue 18). practice_max_open: at most this many open
-- registrations (confirmed or waitlisted, of activities not yet ended)
-- per student, or false for no limit; a function(grade, R) may answer by
-- the student's grade. practice_cancel_cutoff_hours: a family cannot
-- give up a confirmed seat within this many hours of the activity's
-- start (staff still can; leaving the waitlist is always possible); a
-- number, false for no cutoff, or a function(grade, R).
rules.practice_max_open = false
rules.practice_cancel_cutoff_hours = 24

return rules
