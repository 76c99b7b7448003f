/*
 * practice_schema.c — the practice plugin's tables (issue 18). Portable
 * SQL: partial unique indexes and CHECKs work the same on PostgreSQL.
 *
 *   practice_bases            a practice base of a district
 *   practice_base_admins      which bases a base_admin identity runs
 *   practice_activities       an activity at a base; confirmed and
 *                             waitlisted are counters kept in the same
 *                             transaction as the registrations, so that
 *                             capacity is one conditional UPDATE
 *   practice_activity_grades  the grades (1..12, the host's numbering)
 *                             an activity is open to
 *   practice_registrations    one student at one activity; at most one
 *                             live row (not cancelled) per pair, by a
 *                             partial unique index, so "not twice" holds
 *                             under any concurrency
 *
 * Times are Unix seconds. Hours are kept in tenths (hours_tenths = 15 is
 * 1.5 h): exact, and an integer on every database.
 *
 * SQLite-only forms that remain (issue 20): INTEGER PRIMARY KEY as the
 * row id (the other plugins' tables use it the same way: a PostgreSQL
 * migration maps it to an identity column), and untyped "? IS NULL"
 * filter parameters in the list queries (PostgreSQL needs a cast there).
 * The per-student limit relies on SQLite's one writer (see
 * practice_registrations.c).
 *
 * For the check-in (the checkin part of issue 18): confirmed counts the
 * seats taken, confirmed and checked-in registrations alike, so a
 * check-in (confirmed -> checked_in) changes no counter.
 */
#include "practice.h"

const char *const practice_migrations[] = {
    /* 1: bases, their admins, activities, grades, registrations */
    "CREATE TABLE practice_bases ("
    "  id INTEGER PRIMARY KEY,"
    "  district_id INTEGER NOT NULL REFERENCES districts(id),"
    "  name TEXT NOT NULL,"
    "  address TEXT NOT NULL DEFAULT '',"
    "  description TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ("
    "    'active','closed')),"
    "  created_by INTEGER NOT NULL REFERENCES persons(id),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX practice_bases_district ON practice_bases("
    "  district_id, status, id);"
    "CREATE TABLE practice_base_admins ("
    "  base_id INTEGER NOT NULL REFERENCES practice_bases(id),"
    "  person_id INTEGER NOT NULL REFERENCES persons(id),"
    /* the base_admin identity (district-level, no school) acting for
     * the base: a person may run bases in two districts */
    "  identity_id INTEGER NOT NULL REFERENCES identities(id),"
    "  created_by INTEGER REFERENCES persons(id),"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (base_id, person_id));"
    "CREATE INDEX practice_base_admins_identity ON practice_base_admins("
    "  identity_id, base_id);"
    "CREATE TABLE practice_activities ("
    "  id INTEGER PRIMARY KEY,"
    "  base_id INTEGER NOT NULL REFERENCES practice_bases(id),"
    "  district_id INTEGER NOT NULL REFERENCES districts(id),"
    "  title TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  starts_at INTEGER NOT NULL,"
    "  ends_at INTEGER NOT NULL,"
    "  signup_deadline INTEGER NOT NULL,"
    "  capacity INTEGER NOT NULL CHECK (capacity >= 1),"
    "  hours_tenths INTEGER NOT NULL CHECK (hours_tenths > 0),"
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open',"
    "    'closed','cancelled')),"
    /* seats taken: registrations confirmed or checked in; the CHECK is
     * the last guard behind the conditional UPDATE */
    "  confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed >= 0 AND"
    "    confirmed <= capacity),"
    "  waitlisted INTEGER NOT NULL DEFAULT 0 CHECK (waitlisted >= 0),"
    "  created_by INTEGER NOT NULL REFERENCES persons(id),"
    "  cancel_reason TEXT,"
    /* the day-before reminder went out (checkin's reminders) */
    "  reminded_at INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX practice_activities_district ON practice_activities("
    "  district_id, status, starts_at, id);"
    "CREATE INDEX practice_activities_base ON practice_activities("
    "  base_id, status, id);"
    "CREATE TABLE practice_activity_grades ("
    "  activity_id INTEGER NOT NULL REFERENCES practice_activities(id),"
    "  grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 12),"
    "  PRIMARY KEY (activity_id, grade));"
    "CREATE INDEX practice_activity_grades_grade ON "
    "  practice_activity_grades(grade, activity_id);"
    "CREATE TABLE practice_registrations ("
    "  id INTEGER PRIMARY KEY,"
    "  activity_id INTEGER NOT NULL REFERENCES practice_activities(id),"
    "  student_id INTEGER NOT NULL REFERENCES persons(id),"
    /* the student's school, class and grade when registering */
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  class_id INTEGER REFERENCES classes(id),"
    "  grade INTEGER,"
    "  registered_by INTEGER NOT NULL REFERENCES persons(id),"
    "  registered_role TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('confirmed','waitlisted',"
    "    'cancelled','checked_in')),"
    "  created_at INTEGER NOT NULL,"
    "  confirmed_at INTEGER,"
    "  cancelled_at INTEGER,"
    "  cancelled_by INTEGER REFERENCES persons(id),"
    /* family, staff, activity (the activity was cancelled) */
    "  cancel_reason TEXT,"
    "  checked_in_at INTEGER,"
    "  checked_in_by INTEGER REFERENCES persons(id),"
    /* the social_practice growth record made at check-in */
    "  record_id INTEGER,"
    "  reminded_at INTEGER,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX practice_registrations_live ON "
    "  practice_registrations(activity_id, student_id) WHERE status <> "
    "  'cancelled';"
    "CREATE INDEX practice_registrations_student ON "
    "  practice_registrations(student_id, id);"
    /* the activity's list by status and id; the waitlist order is
     * (activity_id, 'waitlisted', id) */
    "CREATE INDEX practice_registrations_activity ON "
    "  practice_registrations(activity_id, status, id);",
    NULL};
