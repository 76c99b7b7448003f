-- The awards plugin's messages, after templates/i18n/zh-CN.lua.
return {
  ["awards.title"] = "获奖记录",
  ["awards.empty"] = "还没有获奖记录。",
  ["awards.level.school"] = "校级",
  ["awards.level.district"] = "区级",
  ["awards.level.city"] = "市级",
  ["awards.level.province"] = "省级",
  ["awards.level.national"] = "国家级",
}
