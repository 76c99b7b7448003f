/*
 * stats_events.c — events from the host and plugins into the aggregates,
 * in the publishers' transactions (docs/events.md lists the payloads;
 * docs/stats.md what each aggregate means).
 *
 * A person's event counts for the classes and schools the person
 * belongs to at that moment (stats_scope_add): a class's people are its
 * students and their parents, a school's also its teachers and school
 * admins. A login sets the day's bit of the person's ISO week
 * (stats_person_weeks); only when the bit is new (the first login of
 * the person that day) do the per-day and, for a new week, per-week
 * distinct counts of those classes and schools go up: every later login
 * of the day costs one UPDATE.
 */
#include "stats.h"

#include <stdio.h>
#include <string.h>

static int64_t
num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static int64_t
today(void)
{
	return stats_day_of(jx_host->now());
}

/* The classes (class_id, school_id) and schools (school_id,
 * district_id) of person ?: the same people as STATS_*_PEOPLE_SQL. */
#define PERSON_CLASSES_SQL                                                     \
	"SELECT s.class_id AS class_id, s.school_id AS school_id FROM "        \
	"students s WHERE s.person_id = ? AND s.status = 'in_school' AND "     \
	"s.class_id IS NOT NULL UNION SELECT s.class_id, s.school_id FROM "    \
	"guardians g JOIN students s ON s.person_id = g.student_id WHERE "     \
	"g.parent_id = ? AND s.status = 'in_school' AND s.class_id IS NOT "    \
	"NULL"
#define PERSON_SCHOOLS_SQL                                                     \
	"SELECT m.school_id AS school_id, sc.district_id AS district_id FROM " \
	"(SELECT s.school_id AS school_id FROM students s WHERE s.person_id "  \
	"= ? AND s.status = 'in_school' UNION SELECT s.school_id FROM "        \
	"guardians g JOIN students s ON s.person_id = g.student_id WHERE "     \
	"g.parent_id = ? AND s.status = 'in_school' UNION SELECT t.school_id " \
	"FROM teachers t WHERE t.person_id = ? AND t.status = 'in_school' "    \
	"UNION SELECT i.school_id FROM identities i JOIN host_accounts a ON "  \
	"a.id = i.account_id WHERE a.person_id = ? AND i.role = "              \
	"'school_admin' AND i.status = 'active' AND i.school_id IS NOT "       \
	"NULL) m JOIN schools sc ON sc.id = m.school_id"

/* The columns of the day rows an event may count in. */
static int
column_ok(const char *col)
{
	static const char *const cols[] = {
	    "logins",       "uploads",     "records", "files",     "posts",
	    "notice_reads", "activations", "follows", "unfollows", NULL};

	for (int k = 0; cols[k] != NULL; k++)
		if (strcmp(col, cols[k]) == 0)
			return 1;
	return 0;
}

/*
 * Adds n to column col of the day rows (weekly: the week rows, whose
 * only column is logins) of every class and school person belongs to.
 * 0 or -1. "WHERE 1 = 1" keeps SQLite's upsert after INSERT ... SELECT
 * unambiguous; PostgreSQL reads it the same.
 */
static int
stats_scope_add(jx_db *db, int64_t person, int64_t day, int weekly,
                const char *col, int64_t n)
{
	char sql[2048];
	const char *ct = weekly ? "stats_class_weeks" : "stats_class_days";
	const char *st = weekly ? "stats_school_weeks" : "stats_school_days";
	const char *k = weekly ? "week" : "day";

	if (person <= 0 || !column_ok(col) || (weekly && strcmp(col, "logins")))
		return -1;
	snprintf(sql, sizeof(sql),
	         "INSERT INTO %s(class_id, %s, school_id, %s) SELECT "
	         "m.class_id, ?, m.school_id, ? FROM (" PERSON_CLASSES_SQL
	         ") m WHERE 1 = 1 ON CONFLICT(class_id, %s) DO UPDATE SET "
	         "%s = %s.%s + excluded.%s",
	         ct, k, col, k, col, ct, col, col);
	if (jx_host->db_exec(db, sql, "iiii", day, n, person, person) < 0)
		return -1;
	snprintf(sql, sizeof(sql),
	         "INSERT INTO %s(school_id, %s, district_id, %s) SELECT "
	         "m.school_id, ?, m.district_id, ? FROM (" PERSON_SCHOOLS_SQL
	         ") m WHERE 1 = 1 ON CONFLICT(school_id, %s) DO UPDATE SET "
	         "%s = %s.%s + excluded.%s",
	         st, k, col, k, col, st, col, col);
	if (jx_host->db_exec(db, sql, "iiiiii", day, n, person, person, person,
	                     person) < 0)
		return -1;
	return 0;
}

int
stats_login(jx_db *db, int64_t person, int64_t t)
{
	int64_t day = stats_day_of(t), week = stats_week_of(day), n;
	int64_t bit = (int64_t)1 << stats_weekday(day);

	if (person <= 0 || day == 0)
		return 0;
	/* Conditional writes decide, not a read before them, so that two
	 * first logins at once count once on PostgreSQL too (issue 20).
	 * The usual case, a later login of the day: one UPDATE. */
	n = jx_host->db_exec(
	    db,
	    "UPDATE stats_person_weeks SET logins = logins + 1 "
	    "WHERE person_id = ? AND week = ? AND (activity & "
	    "?) <> 0",
	    "iii", person, week, bit);
	if (n != 0)
		return n < 0 ? -1 : 0;
	for (int tries = 0; tries < 2; tries++) {
		/* the first login of the day in a week with an earlier one */
		n = jx_host->db_exec(
		    db,
		    "UPDATE stats_person_weeks SET activity = "
		    "activity | ?, logins = logins + 1 WHERE "
		    "person_id = ? AND week = ? AND (activity & "
		    "?) = 0",
		    "iiii", bit, person, week, bit);
		if (n < 0)
			return -1;
		if (n == 1)
			return stats_scope_add(db, person, day, 0, "logins", 1);
		/* the first of the week */
		n = jx_host->db_exec(
		    db,
		    "INSERT INTO stats_person_weeks(person_id, "
		    "week, activity, logins) VALUES (?, ?, ?, 1) "
		    "ON CONFLICT(person_id, week) DO NOTHING",
		    "iii", person, week, bit);
		if (n < 0)
			return -1;
		if (n == 1)
			return stats_scope_add(db, person, day, 0, "logins",
			                       1) ||
			               stats_scope_add(db, person, week, 1,
			                               "logins", 1)
			           ? -1
			           : 0;
		/* another transaction wrote the week meanwhile: again */
	}
	return 0;
}

static int
on_login(jx_db *db, const char *event, const cJSON *p, void *ud)
{
	(void)event;
	(void)ud;
	return stats_login(db, num(p, "person_id"), jx_host->now());
}

static int
on_activated(jx_db *db, const char *event, const cJSON *p, void *ud)
{
	(void)event;
	(void)ud;
	return stats_scope_add(db, num(p, "person_id"), today(), 0,
	                       "activations", 1);
}

/* wechat.followed / unfollowed: whether the person follows now
 * (stats_person_state.wechat) and the day's follows/unfollows. */
static int
on_wechat(jx_db *db, const char *event, const cJSON *p, void *ud)
{
	int64_t person = num(p, "person_id");
	int follow = strcmp(event, "wechat.followed") == 0;

	(void)ud;
	if (person <= 0)
		return 0;
	/* the event comes after the change, in its transaction: wechat.v1
	 * answers for all the person's openids (one unfollowed of two
	 * still leaves the person followed) */
	if (stats_wechat_set(db, person) != 0)
		return -1;
	return stats_scope_add(db, person, today(), 0,
	                       follow ? "follows" : "unfollows", 1);
}

/* An upload of person today: a growth record (what "records") or a file
 * attached to a post or record ("files"). */
static int
stats_upload(jx_db *db, int64_t person, const char *what)
{
	int64_t day = today();
	int rec = strcmp(what, "records") == 0;

	if (person <= 0)
		return 0;
	if (jx_host->db_exec(db,
	                     "INSERT INTO stats_person_days(person_id, day, "
	                     "uploads, records, files) VALUES (?, ?, 1, ?, ?) "
	                     "ON CONFLICT(person_id, day) DO UPDATE SET "
	                     "uploads = stats_person_days.uploads + 1, "
	                     "records = stats_person_days.records + "
	                     "excluded.records, files = "
	                     "stats_person_days.files + excluded.files",
	                     "iiii", person, day, (int64_t)rec,
	                     (int64_t)!rec) < 0 ||
	    stats_scope_add(db, person, day, 0, "uploads", 1) != 0 ||
	    stats_scope_add(db, person, day, 0, what, 1) != 0)
		return -1;
	return 0;
}

/* One more of col (visits, posts, records) for a space today. */
static int
stats_space_add(jx_db *db, const char *kind, int64_t space, int64_t day,
                int64_t school, const char *col)
{
	char sql[512];

	if (space <= 0)
		return 0;
	if (school <= 0) {
		/* where the space belongs: a class's school, a person's (a
		 * student's, else a teacher's first) */
		if (strcmp(kind, "school") == 0)
			school = space;
		else if (strcmp(kind, "class") == 0)
			school = jxp_one(jx_host, db,
			                 "SELECT school_id FROM classes WHERE "
			                 "id = ?",
			                 "i", space);
		else
			school =
			    jxp_one(jx_host, db,
			            "SELECT COALESCE((SELECT school_id FROM "
			            "students WHERE person_id = ?), (SELECT "
			            "MIN(school_id) FROM teachers WHERE "
			            "person_id = ?), 0)",
			            "ii", space, space);
		if (school < 0)
			return -1;
	}
	snprintf(sql, sizeof(sql),
	         "INSERT INTO stats_space_days(kind, space_id, day, school_id, "
	         "%s) VALUES (?, ?, ?, ?, 1) ON CONFLICT(kind, space_id, day) "
	         "DO UPDATE SET %s = stats_space_days.%s + 1",
	         col, col, col);
	return jx_host->db_exec(db, sql, "siii", kind, space, day, school) < 0
	           ? -1
	           : 0;
}

static int
on_record(jx_db *db, const char *event, const cJSON *p, void *ud)
{
	int64_t day = today(), school = num(p, "school_id");

	(void)event;
	(void)ud;
	if (stats_upload(db, num(p, "created_by"), "records") != 0 ||
	    stats_space_add(db, "learning", num(p, "student_id"), day, school,
	                    "records") != 0 ||
	    stats_space_add(db, "class", num(p, "class_id"), day, school,
	                    "records") != 0 ||
	    stats_space_add(db, "school", school, day, school, "records") != 0)
		return -1;
	return 0;
}

static int
on_file(jx_db *db, const char *event, const cJSON *p, void *ud)
{
	const char *ref = str(p, "ref");

	(void)event;
	(void)ud;
	/* files attached to posts and records (a record's private files
	 * too: "record:12:p"); resources' files are not uploads here */
	if (strncmp(ref, "post:", 5) != 0 && strncmp(ref, "record:", 7) != 0)
		return 0;
	return stats_upload(db, num(p, "uploader_person_id"), "files");
}

static int
on_post(jx_db *db, const char *event, const cJSON *p, void *ud)
{
	int64_t day = today(), school = num(p, "school_id");
	int64_t author = num(p, "author_person_id");

	(void)event;
	(void)ud;
	if (stats_scope_add(db, author, day, 0, "posts", 1) != 0 ||
	    stats_space_add(db, "person", author, day, 0, "posts") != 0 ||
	    stats_space_add(db, "class", num(p, "class_id"), day, school,
	                    "posts") != 0 ||
	    (num(p, "class_id") == 0 &&
	     stats_space_add(db, "school", school, day, school, "posts") != 0))
		return -1;
	return 0;
}

static int
on_visit(jx_db *db, const char *event, const cJSON *p, void *ud)
{
	const char *kind = str(p, "kind");
	int64_t day = num(p, "day");

	(void)event;
	(void)ud;
	if (strcmp(kind, "person") != 0 && strcmp(kind, "class") != 0 &&
	    strcmp(kind, "school") != 0 && strcmp(kind, "learning") != 0)
		return 0;
	return stats_space_add(db, kind, num(p, "space_id"),
	                       stats_day_valid(day) ? day : today(), 0,
	                       "visits");
}

static int
on_notice_read(jx_db *db, const char *event, const cJSON *p, void *ud)
{
	(void)event;
	(void)ud;
	return stats_scope_add(db, num(p, "person_id"), today(), 0,
	                       "notice_reads", 1);
}

int
stats_events_init(struct jx_registrar *reg)
{
	static const struct {
		const char *event;
		jx_event_fn fn;
	} subs[] = {
	    {"auth.login", on_login},         {"auth.activated", on_activated},
	    {"wechat.followed", on_wechat},   {"wechat.unfollowed", on_wechat},
	    {"records.created", on_record},   {"files.attached", on_file},
	    {"feeds.post_created", on_post},  {"feeds.space_visited", on_visit},
	    {"notices.read", on_notice_read},
	};

	for (size_t k = 0; k < sizeof(subs) / sizeof(subs[0]); k++)
		if (reg->subscribe(reg, subs[k].event, subs[k].fn, NULL) != 0)
			return -1;
	return 0;
}
