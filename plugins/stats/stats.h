/*
 * stats.h — what the files of the stats plugin share.
 */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

#include <jx/plugin.h>
#include <jxplug.h>

JX_HOST_EXTERN;

/* stats_schema.c */
extern const char *const stats_migrations[];

/* ---- stats_days.c: local days and ISO weeks ---------------------------
 * A day is YYYYMMDD in the configured time zone; a week is its Monday's
 * day. */
int64_t stats_day_of(int64_t t);              /* the local day of epoch t */
int64_t stats_day_add(int64_t day, int n);    /* day + n days */
int stats_day_valid(int64_t day);             /* 1 for a real date */
int stats_weekday(int64_t day);               /* 0 Monday ... 6 Sunday */
int64_t stats_week_of(int64_t day);           /* the Monday of day's week */
int stats_day_span(int64_t from, int64_t to); /* days from..to, inclusive */
int64_t stats_parse_day(const char *s);       /* "2026-12-07": 20261207; 0 */

/* ---- who a row's people are (docs/stats.md) ----------------------------
 * A class's people: its in-school students and their parents. A
 * school's: its in-school students, their parents, its teachers in
 * school and its active school admins. Each as SQL yielding one column
 * per row, person first, binding the id as often as it has '?'. */
#define STATS_CLASS_PEOPLE_SQL                                                 \
	"SELECT s.person_id AS person_id FROM students s WHERE s.class_id = "  \
	"? AND s.status = 'in_school' UNION SELECT g.parent_id FROM "          \
	"guardians g JOIN students s ON s.person_id = g.student_id WHERE "     \
	"s.class_id = ? AND s.status = 'in_school'"
#define STATS_SCHOOL_PEOPLE_SQL                                                \
	"SELECT s.person_id AS person_id FROM students s WHERE s.school_id = " \
	"? AND s.status = 'in_school' UNION SELECT g.parent_id FROM "          \
	"guardians g JOIN students s ON s.person_id = g.student_id WHERE "     \
	"s.school_id = ? AND s.status = 'in_school' UNION SELECT t.person_id " \
	"FROM teachers t WHERE t.school_id = ? AND t.status = 'in_school' "    \
	"UNION SELECT a.person_id FROM identities i JOIN host_accounts a ON "  \
	"a.id = i.account_id WHERE i.school_id = ? AND i.role = "              \
	"'school_admin' AND i.status = 'active'"

/* For students s: none of whose parents was ever reached:
 * none activated, none follows on WeChat (docs/stats.md). */
#define STATS_UNREACHED_SQL                                                    \
	"NOT EXISTS (SELECT 1 FROM guardians g LEFT JOIN host_accounts a ON "  \
	"a.person_id = g.parent_id LEFT JOIN stats_person_state ps ON "        \
	"ps.person_id = g.parent_id WHERE g.student_id = s.person_id AND "     \
	"(a.password_set = 1 OR ps.wechat > 0))"

/* ---- stats_events.c: the subscribers -------------------------------- */
int stats_events_init(struct jx_registrar *reg);
/* Counts a login of person at epoch t (auth.login). 0 or -1. */
int stats_login(jx_db *db, int64_t person, int64_t t);

/* ---- stats_state.c: the state snapshots and the refresh job ---------- */
/* Sets stats_person_state.wechat of person from wechat.v1 (1: a bound,
 * followed openid; 0 otherwise or without the wechat plugin). 0, -1. */
int stats_wechat_set(jx_db *db, int64_t person);
/*
 * The state numbers of school (docs/stats.md), computed now: *classes
 * an object keyed by class id, *school one object, each {"students",
 * "parents", "accounts", "activated", "wechat_followed",
 * "keyinfo_complete", "unreached"} (the school's also "teachers").
 * Asks keyinfo.v1 (which may write): call outside a transaction. Free
 * both with cJSON_Delete. 0 or -1.
 */
int stats_state_compute(jx_db *db, int64_t school, cJSON **classes,
                        cJSON **school_row);
/* Computes and stores the state rows of school (stats_class_state,
 * stats_school_state), reconciling its people's WeChat state first
 * when reconcile. 0 or -1. */
int stats_state_store(jx_db *db, int64_t school, int reconcile);
int stats_state_init(struct jx_registrar *reg);
/* Queues the nightly refresh when it is due (first request of a day). */
void stats_daily(jx_req *req);

/* ---- stats_api.c: the endpoints --------------------------------------- */
int stats_school_usage(jx_req *req, void *ud);
int stats_school_usage_xlsx(jx_req *req, void *ud);
int stats_district_usage(jx_req *req, void *ud);
int stats_district_usage_xlsx(jx_req *req, void *ud);
int stats_school_weekly(jx_req *req, void *ud);
int stats_district_weekly(jx_req *req, void *ud);
int stats_school_refresh(jx_req *req, void *ud);
int stats_district_refresh(jx_req *req, void *ud);
int stats_class_unreached(jx_req *req, void *ud);

#endif
