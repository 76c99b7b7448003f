/*
 * stats_schema.c — the stats plugin's tables (docs/stats.md has the
 * definitions they serve).
 *
 * Days are local days in the configured time zone written YYYYMMDD
 * (20261207), as feeds.space_visited's `day`; a week is the ISO week
 * (Monday to Sunday) written as its Monday's day (20261207).
 *
 * Activity of persons (written by the event subscribers):
 *   stats_person_weeks  one row per person and ISO week in which the
 *                       person logged in: `activity` bit 0 Monday ...
 *                       bit 6 Sunday, so distinct persons and login days
 *                       over any range of whole days are exact;
 *   stats_person_days   uploads per person and day (only persons who
 *                       uploaded that day).
 * Counts per class and per school, maintained incrementally at the
 * event (the person's classes and schools at that moment):
 *   stats_class_days, stats_school_days    per day: `logins` distinct
 *                       persons logged in that day (+1 when a person's
 *                       day bit is newly set), uploads and the rest;
 *   stats_class_weeks, stats_school_weeks  per ISO week: `logins`
 *                       distinct persons logged in that week (+1 when a
 *                       person's week bitmap goes from 0 to non-zero).
 * So one day or one ISO week reads O(classes or schools) rows; another
 * range of days scans stats_person_weeks of the scope's people.
 * State (not events: a job computes them, nightly and on demand):
 *   stats_class_state, stats_school_state  accounts, activated,
 *                       wechat_followed, keyinfo_complete ...
 * Spaces (空间统计): stats_space_days, per space and day.
 *
 * Portable SQL (issue 20): upserts are INSERT ... ON CONFLICT, which
 * PostgreSQL shares; `|` and `&` on integers are both databases'.
 */
#include "stats.h"

const char *const stats_migrations[] = {
    /* 1: person weeks and days, class and school days and weeks, state
     * snapshots, space days, the plugin's own marks */
    "CREATE TABLE stats_person_weeks ("
    "  person_id INTEGER NOT NULL,"
    "  week INTEGER NOT NULL,"
    /* bit 0 Monday ... bit 6 Sunday: a login that day */
    "  activity INTEGER NOT NULL DEFAULT 0,"
    /* logins that week (every login, not distinct) */
    "  logins INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (person_id, week));"
    "CREATE INDEX stats_person_weeks_week ON stats_person_weeks(week,"
    "  person_id);"
    "CREATE TABLE stats_person_days ("
    "  person_id INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    /* growth records created + files attached to posts and records */
    "  uploads INTEGER NOT NULL DEFAULT 0,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  files INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (person_id, day));"
    "CREATE TABLE stats_class_days ("
    "  class_id INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  school_id INTEGER NOT NULL,"
    /* distinct persons of the class (students, their parents) logged
     * in that day; login_days over a range is their sum */
    "  logins INTEGER NOT NULL DEFAULT 0,"
    "  uploads INTEGER NOT NULL DEFAULT 0,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  files INTEGER NOT NULL DEFAULT 0,"
    "  posts INTEGER NOT NULL DEFAULT 0,"
    "  notice_reads INTEGER NOT NULL DEFAULT 0,"
    "  activations INTEGER NOT NULL DEFAULT 0,"
    "  follows INTEGER NOT NULL DEFAULT 0,"
    "  unfollows INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (class_id, day));"
    "CREATE INDEX stats_class_days_school ON stats_class_days(school_id,"
    "  day);"
    "CREATE TABLE stats_class_weeks ("
    "  class_id INTEGER NOT NULL,"
    "  week INTEGER NOT NULL,"
    "  school_id INTEGER NOT NULL,"
    "  logins INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (class_id, week));"
    "CREATE INDEX stats_class_weeks_school ON stats_class_weeks(school_id,"
    "  week);"
    "CREATE TABLE stats_school_days ("
    "  school_id INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  district_id INTEGER NOT NULL,"
    /* distinct persons of the school (its students, their parents, its
     * teachers and school admins) logged in that day */
    "  logins INTEGER NOT NULL DEFAULT 0,"
    "  uploads INTEGER NOT NULL DEFAULT 0,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  files INTEGER NOT NULL DEFAULT 0,"
    "  posts INTEGER NOT NULL DEFAULT 0,"
    "  notice_reads INTEGER NOT NULL DEFAULT 0,"
    "  activations INTEGER NOT NULL DEFAULT 0,"
    "  follows INTEGER NOT NULL DEFAULT 0,"
    "  unfollows INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (school_id, day));"
    "CREATE INDEX stats_school_days_district ON stats_school_days("
    "  district_id, day);"
    "CREATE TABLE stats_school_weeks ("
    "  school_id INTEGER NOT NULL,"
    "  week INTEGER NOT NULL,"
    "  district_id INTEGER NOT NULL,"
    "  logins INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (school_id, week));"
    "CREATE INDEX stats_school_weeks_district ON stats_school_weeks("
    "  district_id, week);"
    /* state per class: its students and their parents */
    "CREATE TABLE stats_class_state ("
    "  class_id INTEGER PRIMARY KEY,"
    "  school_id INTEGER NOT NULL,"
    "  students INTEGER NOT NULL DEFAULT 0,"
    "  parents INTEGER NOT NULL DEFAULT 0,"
    "  accounts INTEGER NOT NULL DEFAULT 0,"
    "  activated INTEGER NOT NULL DEFAULT 0,"
    "  wechat_followed INTEGER NOT NULL DEFAULT 0,"
    "  keyinfo_complete INTEGER NOT NULL DEFAULT 0,"
    /* students none of whose parents was ever reached (docs/stats.md) */
    "  unreached INTEGER NOT NULL DEFAULT 0,"
    "  computed_at INTEGER NOT NULL);"
    "CREATE INDEX stats_class_state_school ON stats_class_state(school_id);"
    /* state per school: its students, their parents, its teachers and
     * school admins (each person once) */
    "CREATE TABLE stats_school_state ("
    "  school_id INTEGER PRIMARY KEY,"
    "  district_id INTEGER NOT NULL,"
    "  students INTEGER NOT NULL DEFAULT 0,"
    "  parents INTEGER NOT NULL DEFAULT 0,"
    "  teachers INTEGER NOT NULL DEFAULT 0,"
    "  accounts INTEGER NOT NULL DEFAULT 0,"
    "  activated INTEGER NOT NULL DEFAULT 0,"
    "  wechat_followed INTEGER NOT NULL DEFAULT 0,"
    "  keyinfo_complete INTEGER NOT NULL DEFAULT 0,"
    "  unreached INTEGER NOT NULL DEFAULT 0,"
    "  computed_at INTEGER NOT NULL);"
    "CREATE INDEX stats_school_state_district ON stats_school_state("
    "  district_id);"
    /* 空间统计: kind person, class, school or learning; space_id the
     * owner (person, class, school); school_id where known (0 not) */
    "CREATE TABLE stats_space_days ("
    "  kind TEXT NOT NULL CHECK (kind IN ('person','class','school',"
    "    'learning')),"
    "  space_id INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  school_id INTEGER NOT NULL DEFAULT 0,"
    "  visits INTEGER NOT NULL DEFAULT 0,"
    "  posts INTEGER NOT NULL DEFAULT 0,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (kind, space_id, day));"
    "CREATE INDEX stats_space_days_school ON stats_space_days(school_id,"
    "  day);"
    /* the plugin's own marks: refresh_next, refreshed_at (epoch) */
    "CREATE TABLE stats_meta ("
    "  name TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL);",
    /* 2: per person, the state events keep: wechat, the number of the
     * person's bound, followed openids (+1 wechat.followed, -1
     * wechat.unfollowed; the refresh job sets it from wechat.v1) */
    "CREATE TABLE stats_person_state ("
    "  person_id INTEGER PRIMARY KEY,"
    "  wechat INTEGER NOT NULL DEFAULT 0);",
    NULL};
