-- The awards plugin's messages, after templates/i18n/en.lua.
return {
  ["awards.title"] = "Awards",
  ["awards.empty"] = "No awards yet.",
  ["awards.level.school"] = "School",
  ["awards.level.district"] = "District",
  ["awards.level.city"] = "City",
  ["awards.level.province"] = "Province",
  ["awards.level.national"] = "National",
}
