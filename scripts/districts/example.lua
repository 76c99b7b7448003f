-- scripts/districts/example.lua — an example of a district's own rules.
--
-- A district's chunk defines only what differs from
-- scripts/rules/default.lua; everything else falls back to the defaults.
-- A file named after a district's code (e.g. scripts/districts/430104.lua)
-- seeds that district's rules when the district is created; this example
-- is never applied by itself. Rule functions receive the district's
-- effective rule table as their last argument (R below).

-- Initial passwords as Changsha later adopted them: "Pw" + the last six
-- digits of the phone + "@"; students keep the host's random ones.
-- Anyone who knows the phone can compute such a password, so the host
-- also sends a code to the phone at first login, and refuses this rule
-- in a district without an SMS gateway (see scripts/rules/default.lua).
function initial_password(p, R)
  if p.role ~= "student" and type(p.phone) == "string" and #p.phone == 11 then
    return "Pw" .. p.phone:sub(-6) .. "@"
  end
  return nil
end

-- Unused initial passwords expire after two weeks here.
initial_valid_days = 14

-- 市网学籍号 of this city: 43 and ten digits (used by the key-information
-- rules).
city_no_pattern = "^43%d%d%d%d%d%d%d%d%d%d$"

-- WeChat and SMS for non-urgent notices wait until morning.
quiet_hours = { from = "21:30", to = "07:00" }
