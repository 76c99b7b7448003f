/*
 * stats_state.c — the numbers that are state, not events (accounts,
 * activated, wechat_followed, keyinfo_complete, unreached families):
 * computed per school from the host's tables, stats_person_state and
 * keyinfo.v1, read live by the school's endpoints and stored per class
 * and school (stats_class_state, stats_school_state) for the district's
 * by the refresh: nightly (the first statistics request of a day queues
 * the job) and on demand (POST .../stats/refresh).
 */
#include "stats.h"

#include <jx/keyinfo.h>
#include <jx/wechat.h>

#include <stdio.h>
#include <stdlib.h>

#define DAY_SECONDS 86400

int
stats_wechat_set(jx_db *db, int64_t person)
{
	const struct jx_wechat_v1 *wx = jx_host->service("wechat.v1");
	int f = wx != NULL ? wx->followed(db, person) : 0;

	return jx_host->db_exec(db,
	                        "INSERT INTO stats_person_state(person_id, "
	                        "wechat) VALUES (?, ?) ON CONFLICT(person_id) "
	                        "DO UPDATE SET wechat = excluded.wechat",
	                        "ii", person, (int64_t)(f == 1)) < 0
	           ? -1
	           : 0;
}

static cJSON *
row_for(cJSON *by, int64_t id)
{
	char key[24];
	cJSON *o;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	o = cJSON_GetObjectItemCaseSensitive(by, key);
	if (o == NULL) {
		static const char *const f[] = {
		    "students",        "parents",
		    "accounts",        "activated",
		    "wechat_followed", "keyinfo_complete",
		    "unreached",       NULL};

		o = cJSON_AddObjectToObject(by, key);
		for (int k = 0; f[k] != NULL; k++)
			cJSON_AddNumberToObject(o, f[k], 0);
	}
	return o;
}

static void
set_num(cJSON *o, const char *name, int64_t v)
{
	cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, name),
	                     (double)v);
}

/* A class's people with a flag for parents (the same people as
 * STATS_CLASS_PEOPLE_SQL, for a whole school at once). */
#define SCHOOL_CLASS_PEOPLE_CTE                                                \
	"WITH cp(class_id, person_id, parent) AS (SELECT s.class_id, "         \
	"s.person_id, 0 FROM students s WHERE s.school_id = ? AND s.status "   \
	"= 'in_school' AND s.class_id IS NOT NULL UNION SELECT s.class_id, "   \
	"g.parent_id, 1 FROM guardians g JOIN students s ON s.person_id = "    \
	"g.student_id WHERE s.school_id = ? AND s.status = 'in_school' AND "   \
	"s.class_id IS NOT NULL) "

int
stats_state_compute(jx_db *db, int64_t school, cJSON **classes,
                    cJSON **school_row)
{
	const struct jx_keyinfo_v1 *ki = jx_host->service(JX_KEYINFO_SERVICE);
	cJSON *by = cJSON_CreateObject(), *sr, *kc = NULL;
	const cJSON *e;
	jx_stmt *st;
	int64_t unreached = 0;
	int ok = 1;

	*classes = *school_row = NULL;
	/* every class of the school has a row, an empty one zeros */
	st = jx_host->db_query(db, "SELECT id FROM classes WHERE school_id = ?",
	                       "i", school);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		row_for(by, jx_host->db_int(st, 0));
	jx_host->db_finish(st);
	ok = st != NULL;
	st = jx_host->db_query(
	    db,
	    SCHOOL_CLASS_PEOPLE_CTE
	    "SELECT cp.class_id, SUM(1 - cp.parent), SUM(cp.parent), "
	    "COUNT(a.id), COALESCE(SUM(a.password_set), 0), SUM(CASE WHEN "
	    "cp.parent = 1 AND ps.wechat > 0 THEN 1 ELSE 0 END) FROM cp LEFT "
	    "JOIN host_accounts a ON a.person_id = cp.person_id LEFT JOIN "
	    "stats_person_state ps ON ps.person_id = cp.person_id GROUP BY "
	    "cp.class_id",
	    "ii", school, school);
	while (ok && st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = row_for(by, jx_host->db_int(st, 0));

		set_num(o, "students", jx_host->db_int(st, 1));
		set_num(o, "parents", jx_host->db_int(st, 2));
		set_num(o, "accounts", jx_host->db_int(st, 3));
		set_num(o, "activated", jx_host->db_int(st, 4));
		set_num(o, "wechat_followed", jx_host->db_int(st, 5));
	}
	jx_host->db_finish(st);
	ok = ok && st != NULL;
	/* unreached students by class, once for the classes and the school
	 * (class 0: in school without a class, the school's only) */
	st = jx_host->db_query(db,
	                       "SELECT COALESCE(s.class_id, 0), COUNT(*) FROM "
	                       "students s WHERE s.school_id = ? AND s.status "
	                       "= 'in_school' AND " STATS_UNREACHED_SQL
	                       " GROUP BY s.class_id",
	                       "i", school);
	while (ok && st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t c = jx_host->db_int(st, 0), n = jx_host->db_int(st, 1);

		unreached += n;
		if (c > 0)
			set_num(row_for(by, c), "unreached", n);
	}
	jx_host->db_finish(st);
	ok = ok && st != NULL;

	/* the school: each person once, whatever their roles */
	sr = cJSON_CreateObject();
	st = jx_host->db_query(
	    db,
	    "WITH sp(person_id, kind) AS (SELECT s.person_id, 's' FROM "
	    "students s WHERE s.school_id = ? AND s.status = 'in_school' UNION "
	    "SELECT g.parent_id, 'p' FROM guardians g JOIN students s ON "
	    "s.person_id = g.student_id WHERE s.school_id = ? AND s.status = "
	    "'in_school' UNION SELECT t.person_id, 't' FROM teachers t WHERE "
	    "t.school_id = ? AND t.status = 'in_school' UNION SELECT "
	    "a.person_id, 't' FROM identities i JOIN host_accounts a ON a.id = "
	    "i.account_id WHERE i.school_id = ? AND i.role = 'school_admin' "
	    "AND i.status = 'active') SELECT COUNT(DISTINCT CASE WHEN sp.kind "
	    "= 's' THEN sp.person_id END), COUNT(DISTINCT CASE WHEN sp.kind = "
	    "'p' THEN sp.person_id END), COUNT(DISTINCT CASE WHEN sp.kind = "
	    "'t' THEN sp.person_id END), COUNT(DISTINCT a.id), COUNT(DISTINCT "
	    "CASE WHEN a.password_set = 1 THEN a.id END), COUNT(DISTINCT CASE "
	    "WHEN sp.kind = 'p' AND ps.wechat > 0 THEN sp.person_id END) FROM "
	    "sp LEFT JOIN host_accounts a ON a.person_id = sp.person_id LEFT "
	    "JOIN stats_person_state ps ON ps.person_id = sp.person_id",
	    "iiii", school, school, school, school);
	if (ok && st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		static const char *const f[] = {"students",  "parents",
		                                "teachers",  "accounts",
		                                "activated", "wechat_followed"};

		for (int k = 0; k < 6; k++)
			cJSON_AddNumberToObject(sr, f[k],
			                        (double)jx_host->db_int(st, k));
	} else
		ok = 0;
	jx_host->db_finish(st);
	cJSON_AddNumberToObject(sr, "unreached", (double)unreached);

	/* key information: keyinfo's progress, when keyinfo runs */
	if (ki != NULL &&
	    ki->size > offsetof(struct jx_keyinfo_v1, complete_counts) &&
	    ki->complete_counts(db, school, 0, &kc) == 0) {
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(kc, "classes"))
		{
			cJSON *o =
			    cJSON_GetObjectItemCaseSensitive(by, e->string);

			if (o != NULL)
				set_num(o, "keyinfo_complete",
				        (int64_t)e->valuedouble);
		}
		cJSON_AddNumberToObject(
		    sr, "keyinfo_complete",
		    cJSON_GetNumberValue(cJSON_GetObjectItem(kc, "complete")));
		cJSON_Delete(kc);
	} else
		cJSON_AddNumberToObject(sr, "keyinfo_complete", 0);
	if (!ok) {
		cJSON_Delete(by);
		cJSON_Delete(sr);
		return -1;
	}
	*classes = by;
	*school_row = sr;
	return 0;
}

static int64_t
n_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* The school's parents and staff get their WeChat state from wechat.v1
 * (events keep it; this mends rows from before the plugin ran). */
static int
reconcile_wechat(jx_db *db, int64_t school)
{
	jx_stmt *st;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (jx_host->service("wechat.v1") == NULL)
		return 0;
	st = jx_host->db_query(db, STATS_SCHOOL_PEOPLE_SQL, "iiii", school,
	                       school, school, school);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		if (n == cap) {
			int64_t *m;

			cap = cap ? cap * 2 : 256;
			m = realloc(ids, cap * sizeof(*ids));
			if (m == NULL) {
				rc = -1;
				break;
			}
			ids = m;
		}
		ids[n++] = jx_host->db_int(st, 0);
	}
	jx_host->db_finish(st);
	if (st == NULL)
		rc = -1;
	for (size_t k = 0; rc == 0 && k < n; k++)
		rc = stats_wechat_set(db, ids[k]);
	free(ids);
	return rc;
}

int
stats_state_store(jx_db *db, int64_t school, int reconcile)
{
	cJSON *by = NULL, *sr = NULL;
	const cJSON *e;
	int64_t now = jx_host->now(), district;
	int rc = -1;

	district =
	    jxp_one(jx_host, db, "SELECT district_id FROM schools WHERE id = ?",
	            "i", school);
	if (district <= 0)
		return -1;
	if (reconcile) {
		if (jx_host->db_begin(db) != 0)
			return -1;
		if (reconcile_wechat(db, school) != 0 ||
		    jx_host->db_commit(db) != 0) {
			jx_host->db_rollback(db);
			return -1;
		}
	}
	if (stats_state_compute(db, school, &by, &sr) != 0)
		return -1;
	if (jx_host->db_begin(db) != 0)
		goto done;
	if (jx_host->db_exec(db,
	                     "DELETE FROM stats_class_state WHERE school_id = "
	                     "?",
	                     "i", school) < 0)
		goto rollback;
	cJSON_ArrayForEach(e, by)
	{
		if (jx_host->db_exec(
		        db,
		        "INSERT INTO stats_class_state(class_id, school_id, "
		        "students, parents, accounts, activated, "
		        "wechat_followed, keyinfo_complete, unreached, "
		        "computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		        "iiiiiiiiii", (int64_t)strtoll(e->string, NULL, 10),
		        school, n_of(e, "students"), n_of(e, "parents"),
		        n_of(e, "accounts"), n_of(e, "activated"),
		        n_of(e, "wechat_followed"), n_of(e, "keyinfo_complete"),
		        n_of(e, "unreached"), now) < 0)
			goto rollback;
	}
	if (jx_host->db_exec(
	        db,
	        "INSERT INTO stats_school_state(school_id, district_id, "
	        "students, parents, teachers, accounts, activated, "
	        "wechat_followed, keyinfo_complete, unreached, computed_at) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON "
	        "CONFLICT(school_id) DO UPDATE SET district_id = "
	        "excluded.district_id, students = excluded.students, parents "
	        "= excluded.parents, teachers = excluded.teachers, accounts = "
	        "excluded.accounts, activated = excluded.activated, "
	        "wechat_followed = excluded.wechat_followed, keyinfo_complete "
	        "= excluded.keyinfo_complete, unreached = excluded.unreached, "
	        "computed_at = excluded.computed_at",
	        "iiiiiiiiiii", school, district, n_of(sr, "students"),
	        n_of(sr, "parents"), n_of(sr, "teachers"), n_of(sr, "accounts"),
	        n_of(sr, "activated"), n_of(sr, "wechat_followed"),
	        n_of(sr, "keyinfo_complete"), n_of(sr, "unreached"), now) < 0)
		goto rollback;
	rc = jx_host->db_commit(db) == 0 ? 0 : -1;
	goto done;
rollback:
	jx_host->db_rollback(db);
done:
	cJSON_Delete(by);
	cJSON_Delete(sr);
	return rc;
}

/* The job "stats.refresh": params {"school_id"} or {"district_id"}
 * (every school of it) or {} (every school). */
static int
refresh_job(jx_job *job, void *ud)
{
	const cJSON *p = jx_host->job_params(job);
	jx_db *db = jx_host->job_db(job);
	int64_t school = n_of(p, "school_id"),
	        district = n_of(p, "district_id");
	int64_t done = 0, total, failed = 0;
	cJSON *ids, *result;
	const cJSON *e;

	(void)ud;
	if (school > 0)
		ids = jx_host->db_rows(
		    db, "SELECT id FROM schools WHERE id = ?", "i", school);
	else if (district > 0)
		ids =
		    jx_host->db_rows(db,
		                     "SELECT id FROM schools WHERE district_id "
		                     "= ? ORDER BY id",
		                     "i", district);
	else
		ids = jx_host->db_rows(db, "SELECT id FROM schools ORDER BY id",
		                       "");
	if (ids == NULL)
		return -1;
	total = cJSON_GetArraySize(ids);
	cJSON_ArrayForEach(e, ids)
	{
		if (jx_host->job_stopping(job))
			break;
		if (stats_state_store(db, n_of(e, "id"), 1) != 0)
			failed++;
		jx_host->job_progress(job, ++done, total);
	}
	cJSON_Delete(ids);
	result = cJSON_CreateObject();
	cJSON_AddNumberToObject(result, "schools", (double)done);
	cJSON_AddNumberToObject(result, "failed", (double)failed);
	jx_host->job_set_result(job, result);
	return failed == 0 ? 0 : -1;
}

void
stats_daily(jx_req *req)
{
	jx_db *db = jx_host->req_db(req);
	int64_t now = jx_host->now(), next;

	next = jxp_one(jx_host, db,
	               "SELECT value FROM stats_meta WHERE name = "
	               "'refresh_next'",
	               "");
	if (next < 0 || next > now)
		return;
	if (jx_host->db_begin(db) != 0)
		return;
	/* one UPDATE wins the day: two workers never queue it twice */
	if (jx_host->db_exec(db,
	                     "INSERT INTO stats_meta(name, value) VALUES "
	                     "('refresh_next', 0) ON CONFLICT DO NOTHING",
	                     "") < 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE stats_meta SET value = ? WHERE name = "
	                     "'refresh_next' AND value <= ?",
	                     "ii", now + DAY_SECONDS, now) != 1 ||
	    jx_host->job_submit(db, "stats.refresh", cJSON_CreateObject(), 0) <
	        0) {
		jx_host->db_rollback(db);
		return;
	}
	jx_host->db_commit(db);
}

int
stats_state_init(struct jx_registrar *reg)
{
	return reg->job_kind(reg, "stats.refresh", refresh_job, NULL);
}
