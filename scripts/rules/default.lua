-- scripts/rules/default.lua — the default rules of every district.
--
-- A district's own chunk overrides only what it defines; everything else
-- comes from here. Rules are plain functions over plain tables. Reloaded
-- on SIGHUP. (The identity and keyinfo issues fill this in.)
local rules = {}

-- Days an unused initial password stays valid.
rules.initial_valid_days = 30

-- The password policy: nil when pw is acceptable, else the reason.
-- ctx.initial_password is the account's initial password, if known.
function rules.password_policy(pw, ctx)
  ctx = ctx or {}
  if type(pw) ~= "string" or utf8.len(pw) == nil then
    return "密码必须是有效的文本"
  end
  if utf8.len(pw) < 8 then
    return "密码至少需要 8 个字符"
  end
  if not pw:find("%a") or not pw:find("%d") then
    return "密码必须同时包含字母和数字"
  end
  if ctx.initial_password ~= nil and pw == ctx.initial_password then
    return "新密码不能与初始密码相同"
  end
  return nil
end

-- The initial password of a new or reset account. p.role is the role
-- ("teacher", "parent", "school_admin", "student" ...), p.phone the
-- phone number for adults. Return nil to let the host draw 8 random
-- letters and digits (the default for students).
function rules.initial_password(p)
  if p.role ~= "student" and type(p.phone) == "string" and #p.phone == 11 then
    return p.phone:sub(-6)
  end
  return nil
end
-- An alternative some cities adopted later (Changsha among them):
-- function rules.initial_password(p)
--   if p.role ~= "student" and p.phone then
--     return "Pw" .. p.phone:sub(-6) .. "@"
--   end
-- end

return rules
