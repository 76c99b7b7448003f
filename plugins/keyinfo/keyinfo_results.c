/*
 * keyinfo_results.c — the district's rules over students, and their
 * stored results.
 *
 * The rules see a student as a plain table {name, grade, id_number,
 * national_no, city_no} and answer a list of problems (default.lua,
 * keyinfo_check). Students go to Lua in batches (keyinfo_check_all), so a
 * district of a million is a few thousand calls, not a million.
 *
 * A school's results are refreshed in one pass: the students whose result
 * is missing, stale (their fields changed) or of another rules version are
 * checked, results of students who left are dropped, and the school's
 * per-class counts are recounted from its results, so the counts cannot
 * drift from the rows they count. Progress reads the counts.
 */
#include "keyinfo.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KI_BATCH 200

void
ki_student_free(struct ki_student *s)
{
	free(s->name);
	if (s->national_no != NULL)
		memset(s->national_no, 0, strlen(s->national_no));
	free(s->national_no);
	free(s->city_no);
	if (s->id_number != NULL)
		memset(s->id_number, 0, strlen(s->id_number));
	free(s->id_number);
	cJSON_Delete(s->problems);
	memset(s, 0, sizeof(*s));
}

static char *
ki_dup(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

char *
ki_national_open(const char *clear, const char *sealed)
{
	if (clear != NULL && *clear != '\0')
		return strdup(clear);
	return sealed != NULL ? ki_org->id_open(sealed) : NULL;
}

/* The columns every student query selects, in this order. */
#define KI_STUDENT_COLUMNS                                                     \
	"s.person_id, s.school_id, COALESCE(s.class_id, 0), "                  \
	"COALESCE(c.grade, 0), p.name, s.national_no, s.city_no, "             \
	"s.id_number_enc, sc.district_id, s.national_no_enc"
#define KI_STUDENT_FROM                                                        \
	" FROM students s JOIN persons p ON p.id = s.person_id "               \
	"JOIN schools sc ON sc.id = s.school_id "                              \
	"LEFT JOIN classes c ON c.id = s.class_id "

static void
ki_student_row(jx_stmt *st, struct ki_student *s)
{
	memset(s, 0, sizeof(*s));
	s->id = jx_host->db_int(st, 0);
	s->school = jx_host->db_int(st, 1);
	s->klass = jx_host->db_int(st, 2);
	s->grade = (int)jx_host->db_int(st, 3);
	s->name = ki_dup(jx_host->db_text(st, 4));
	s->national_no =
	    ki_national_open(jx_host->db_text(st, 5), jx_host->db_text(st, 9));
	s->city_no = ki_dup(jx_host->db_text(st, 6));
	if (!jx_host->db_is_null(st, 7))
		s->id_number = ki_org->id_open(jx_host->db_text(st, 7));
	s->district = jx_host->db_int(st, 8);
}

int
ki_student_load(jx_db *db, int64_t id, struct ki_student *s)
{
	jx_stmt *st =
	    jx_host->db_query(db,
	                      "SELECT " KI_STUDENT_COLUMNS KI_STUDENT_FROM
	                      "WHERE s.person_id = ? AND s.status = "
	                      "'in_school'",
	                      "i", id);
	int rc = -1;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		ki_student_row(st, s);
		rc = 0;
	}
	jx_host->db_finish(st);
	return rc;
}

cJSON *
ki_student_json(const struct ki_student *s)
{
	cJSON *o = cJSON_CreateObject();

	if (s->name != NULL)
		cJSON_AddStringToObject(o, "name", s->name);
	if (s->grade > 0)
		cJSON_AddNumberToObject(o, "grade", s->grade);
	if (s->id_number != NULL)
		cJSON_AddStringToObject(o, "id_number", s->id_number);
	if (s->national_no != NULL)
		cJSON_AddStringToObject(o, "national_no", s->national_no);
	if (s->city_no != NULL)
		cJSON_AddStringToObject(o, "city_no", s->city_no);
	return o;
}

/* Takes problems (a list from the rules, or anything else) for s:
 * keeps well-formed items, counts errors and missing fields. */
static void
ki_take_problems(struct ki_student *s, cJSON *problems)
{
	cJSON *out = cJSON_CreateArray(), *p;

	s->errors = 0;
	s->missing = (s->national_no == NULL) + (s->city_no == NULL) +
	             (s->id_number == NULL);
	if (cJSON_IsArray(problems) || cJSON_IsObject(problems)) {
		cJSON_ArrayForEach(p, problems)
		{
			const cJSON *f = cJSON_GetObjectItem(p, "field");
			const cJSON *l = cJSON_GetObjectItem(p, "level");
			const cJSON *m = cJSON_GetObjectItem(p, "message");
			const cJSON *c = cJSON_GetObjectItem(p, "code");
			cJSON *item;

			if (!cJSON_IsString(f) || !cJSON_IsString(l))
				continue;
			item = cJSON_CreateObject();
			cJSON_AddStringToObject(item, "field", f->valuestring);
			cJSON_AddStringToObject(
			    item, "level",
			    strcmp(l->valuestring, "error") == 0 ? "error"
			                                         : "warning");
			if (cJSON_IsString(c))
				cJSON_AddStringToObject(item, "code",
				                        c->valuestring);
			cJSON_AddStringToObject(
			    item, "message",
			    cJSON_IsString(m) ? m->valuestring : "");
			if (cJSON_IsString(
			        cJSON_GetObjectItem(p, "message_en")))
				cJSON_AddStringToObject(
				    item, "message_en",
				    cJSON_GetObjectItem(p, "message_en")
				        ->valuestring);
			if (strcmp(l->valuestring, "error") == 0)
				s->errors++;
			cJSON_AddItemToArray(out, item);
		}
	}
	cJSON_Delete(s->problems);
	s->problems = out;
}

const char *
ki_problem_message(jx_req *req, const cJSON *p)
{
	const cJSON *m = cJSON_GetObjectItem(p, "message");
	const cJSON *en = cJSON_GetObjectItem(p, "message_en");

	if (req != NULL && strcmp(jx_host->req_lang(req), "en") == 0 &&
	    cJSON_IsString(en) && en->valuestring[0] != '\0')
		return en->valuestring;
	return cJSON_IsString(m) ? m->valuestring : "";
}

void
ki_problems_localize(jx_req *req, cJSON *problems)
{
	cJSON *p;

	cJSON_ArrayForEach(p, problems)
	{
		if (!cJSON_IsObject(p))
			continue;
		if (cJSON_GetObjectItem(p, "message_en") != NULL) {
			cJSON *m =
			    cJSON_CreateString(ki_problem_message(req, p));

			cJSON_DeleteItemFromObject(p, "message");
			cJSON_AddItemToObject(p, "message", m);
			cJSON_DeleteItemFromObject(p, "message_en");
		}
	}
}

/* A student whose own check failed: the rules' error is their problem. */
static void
ki_rule_failed(struct ki_student *s, const char *err)
{
	cJSON *list = cJSON_CreateArray(), *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "field", "rules");
	cJSON_AddStringToObject(p, "level", "error");
	cJSON_AddStringToObject(p, "code", "rule_failed");
	cJSON_AddStringToObject(p, "message", err);
	cJSON_AddItemToArray(list, p);
	ki_take_problems(s, list);
	cJSON_Delete(list);
}

int
ki_check_batch(jx_db *db, int64_t district, const char *source,
               struct ki_student *s, int n, int fallback, int64_t *version,
               char *err, size_t errlen)
{
	cJSON *args, *list, *res = NULL;
	int *idx = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
	int m = 0, rc = 0;

	if (idx == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	args = cJSON_CreateArray();
	list = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		/* Nothing to check without a value: the rules report only
		 * problems of values that are there. */
		if (s[i].national_no == NULL && s[i].city_no == NULL &&
		    s[i].id_number == NULL) {
			ki_take_problems(&s[i], NULL);
			continue;
		}
		idx[m++] = i;
		cJSON_AddItemToArray(list, ki_student_json(&s[i]));
	}
	cJSON_AddItemToArray(args, list);
	if (m == 0) {
		*version =
		    source != NULL ? -1 : jx_host->rules_version(db, district);
		goto done;
	}
	if (jx_host->rule_call(db, district, source, "keyinfo_check_all", args,
	                       &res, version, err, errlen) != 0) {
		if (!fallback) {
			rc = -1;
			goto done;
		}
		/* One student's values broke the district's rule: check
		 * one by one, so that only they carry the error. */
		for (int k = 0; k < m; k++) {
			cJSON *one = cJSON_CreateArray(), *r1 = NULL;
			char e1[512];

			cJSON_AddItemToArray(one, ki_student_json(&s[idx[k]]));
			if (jx_host->rule_call(db, district, source,
			                       "keyinfo_check", one, &r1,
			                       version, e1, sizeof(e1)) == 0)
				ki_take_problems(&s[idx[k]], r1);
			else
				ki_rule_failed(&s[idx[k]], e1);
			cJSON_Delete(r1);
			cJSON_Delete(one);
		}
		goto done;
	}
	for (int k = 0; k < m; k++)
		ki_take_problems(&s[idx[k]], cJSON_GetArrayItem(res, k));
done:
	for (int i = 0; rc == 0 && i < n; i++)
		s[i].version = *version;
	cJSON_Delete(res);
	cJSON_Delete(args);
	free(idx);
	return rc;
}

/* ---- stored results --------------------------------------------------- */

/*
 * A school's refresh in two halves: ki_collect reads the students whose
 * results are due and runs the rules over them (Lua: most of the time),
 * ki_settle writes the results, drops those of students who left and
 * recounts the school's classes (a short write transaction). The
 * background refresh runs the first half outside any transaction, on
 * several threads, so that writers (logins, edits) are not held up.
 *
 * A student changed between the halves must not get a result computed
 * from their old fields: every change bumps the row's stale counter
 * (ki_mark_stale), and a result is written only over the counter value
 * it was computed for; a skipped row keeps its school dirty.
 */
struct ki_work {
	struct ki_student *s;
	int64_t *expect; /* the row's stale counter read; -1: no row */
	size_t n, cap;
	int64_t version;
	int64_t district;
};

static void
ki_work_free(struct ki_work *w)
{
	for (size_t i = 0; i < w->n; i++)
		ki_student_free(&w->s[i]);
	free(w->s);
	free(w->expect);
	memset(w, 0, sizeof(*w));
}

/* Reads the school's due students and checks them: 0 or -1. */
static int
ki_collect(jx_db *db, int64_t school, int all, struct ki_work *w)
{
	jx_stmt *st;
	char err[512];

	memset(w, 0, sizeof(*w));
	w->district =
	    jxp_one(jx_host, db, "SELECT district_id FROM schools WHERE id = ?",
	            "i", school);
	if (w->district <= 0)
		return w->district < 0 ? -1 : 0;
	w->version = jx_host->rules_version(db, w->district);
	if (w->version < 0)
		return -1;
	st = jx_host->db_query(
	    db,
	    "SELECT " KI_STUDENT_COLUMNS ", r.stale" KI_STUDENT_FROM
	    "LEFT JOIN keyinfo_results r ON r.student_id = "
	    "s.person_id WHERE s.school_id = ? AND s.status = "
	    "'in_school' AND (? OR r.student_id IS NULL OR "
	    "r.stale > 0 OR r.rules_version != ? OR r.class_id "
	    "!= COALESCE(s.class_id, 0) OR r.school_id != "
	    "s.school_id)",
	    "iii", school, (int64_t)(all != 0), w->version);
	if (st == NULL)
		return -1;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 256;
			struct ki_student *m = realloc(w->s, cap * sizeof(*m));
			int64_t *e;

			if (m == NULL)
				break;
			w->s = m;
			e = realloc(w->expect, cap * sizeof(*e));
			if (e == NULL)
				break;
			w->expect = e;
			w->cap = cap;
		}
		ki_student_row(st, &w->s[w->n]);
		w->expect[w->n] =
		    jx_host->db_is_null(st, 10) ? -1 : jx_host->db_int(st, 10);
		w->n++;
	}
	jx_host->db_finish(st);
	for (size_t i = 0; i < w->n; i += KI_BATCH) {
		int64_t v;
		int k = (int)(w->n - i < KI_BATCH ? w->n - i : KI_BATCH);

		if (ki_check_batch(db, w->district, NULL, &w->s[i], k, 1, &v,
		                   err, sizeof(err)) != 0)
			return -1;
	}
	return 0;
}

/* Writes one result over the stale counter it was computed for: 1
 * written, 0 skipped (the student changed meanwhile), -1 error. */
static int
ki_store(jx_db *db, const struct ki_student *s, int64_t version, int64_t expect)
{
	char *p = cJSON_PrintUnformatted(s->problems);
	int64_t n;

	n = jx_host->db_exec(
	    db,
	    expect < 0
	        ? "INSERT INTO keyinfo_results(student_id, school_id, "
	          "class_id, district_id, rules_version, complete, errors, "
	          "missing, problems, stale, computed_at) VALUES (?, ?, ?, ?, "
	          "?, ?, ?, ?, ?, 0, ?) ON CONFLICT(student_id) DO NOTHING"
	        : "INSERT INTO keyinfo_results(student_id, school_id, "
	          "class_id, district_id, rules_version, complete, errors, "
	          "missing, problems, stale, computed_at) VALUES (?, ?, ?, ?, "
	          "?, ?, ?, ?, ?, 0, ?) ON CONFLICT(student_id) DO UPDATE SET "
	          "school_id = excluded.school_id, class_id = "
	          "excluded.class_id, district_id = excluded.district_id, "
	          "rules_version = excluded.rules_version, complete = "
	          "excluded.complete, errors = excluded.errors, missing = "
	          "excluded.missing, problems = excluded.problems, stale = 0, "
	          "computed_at = excluded.computed_at WHERE "
	          "keyinfo_results.stale = ?",
	    expect < 0 ? "iiiiiiiisi" : "iiiiiiiisii", s->id, s->school,
	    s->klass, s->district, version,
	    (int64_t)(s->errors == 0 && s->missing == 0), (int64_t)s->errors,
	    (int64_t)s->missing, p ? p : "[]", jx_host->now(), expect);
	cJSON_free(p);
	return n < 0 ? -1 : (int)n;
}

/* Writes the collected results and recounts the school, in the
 * caller's transaction. The number written, or -1. */
static int64_t
ki_settle(jx_db *db, int64_t school, const struct ki_work *w)
{
	int64_t written = 0, moved;
	int skipped = 0;

	if (w->district <= 0)
		return 0;
	/* Students who came from another school leave their old school's
	 * counts behind: that school is refreshed too. */
	moved = jx_host->db_exec(
	    db,
	    "INSERT INTO keyinfo_dirty(school_id, district_id) "
	    "SELECT DISTINCT r.school_id, r.district_id FROM "
	    "students s JOIN keyinfo_results r ON r.student_id "
	    "= s.person_id WHERE s.school_id = ? AND "
	    "r.school_id != s.school_id ON CONFLICT DO NOTHING",
	    "i", school);
	if (moved < 0)
		return -1;
	for (size_t i = 0; i < w->n; i++) {
		int rc = ki_store(db, &w->s[i], w->version, w->expect[i]);

		if (rc < 0)
			return -1;
		written += rc;
		skipped += rc == 0;
	}
	if (jx_host->db_exec(
	        db,
	        "DELETE FROM keyinfo_results WHERE school_id = ? AND "
	        "student_id NOT IN (SELECT person_id FROM students "
	        "WHERE school_id = ? AND status = 'in_school')",
	        "ii", school, school) < 0 ||
	    jx_host->db_exec(db,
	                     "DELETE FROM keyinfo_counts WHERE school_id = ?",
	                     "i", school) < 0 ||
	    jx_host->db_exec(
	        db,
	        "INSERT INTO keyinfo_counts(school_id, class_id, "
	        "district_id, total, complete, stale, rules_version) "
	        "SELECT school_id, class_id, district_id, COUNT(*), "
	        "SUM(complete), SUM(stale > 0), MIN(rules_version) "
	        "FROM keyinfo_results WHERE school_id = ? GROUP BY "
	        "school_id, class_id, district_id",
	        "i", school) < 0 ||
	    jx_host->db_exec(
	        db, "DELETE FROM keyinfo_school_counts WHERE school_id = ?",
	        "i", school) < 0 ||
	    jx_host->db_exec(
	        db,
	        "INSERT INTO keyinfo_school_counts(school_id, "
	        "district_id, total, complete, rules_version) SELECT "
	        "school_id, district_id, SUM(total), SUM(complete), "
	        "MIN(rules_version) FROM keyinfo_counts WHERE school_id "
	        "= ? GROUP BY school_id, district_id",
	        "i", school) < 0)
		return -1;
	/* A student who changed meanwhile keeps the school dirty. */
	if (skipped == 0) {
		if (jx_host->db_exec(
		        db, "DELETE FROM keyinfo_dirty WHERE school_id = ?",
		        "i", school) < 0)
			return -1;
	} else if (ki_queue_refresh(db, -1, 0) != 0) {
		return -1;
	}
	if (moved > 0 && ki_queue_refresh(db, -1, 0) != 0)
		return -1;
	return written;
}

int64_t
ki_refresh_school(jx_db *db, int64_t school, int all)
{
	struct ki_work w;
	int64_t rc = -1;

	if (ki_collect(db, school, all, &w) == 0)
		rc = ki_settle(db, school, &w);
	ki_work_free(&w);
	return rc;
}

/* The same, the rules run outside any transaction: -1 on error. */
static int64_t
ki_refresh_school_apart(jx_db *db, int64_t school, int all)
{
	struct ki_work w;
	int64_t rc = -1;

	if (ki_collect(db, school, all, &w) == 0) {
		if (jx_host->db_begin(db) == 0) {
			rc = ki_settle(db, school, &w);
			if (rc < 0 || jx_host->db_commit(db) != 0) {
				jx_host->db_rollback(db);
				rc = -1;
			}
		}
	}
	ki_work_free(&w);
	return rc;
}

/* ---- staleness and the background refresh ------------------------------ */

int
ki_queue_refresh(jx_db *db, int64_t district, int all)
{
	cJSON *params = cJSON_CreateObject();
	char *text;
	int64_t queued;

	cJSON_AddNumberToObject(params, "district_id", (double)district);
	cJSON_AddBoolToObject(params, "all", all != 0);
	text = cJSON_PrintUnformatted(params);
	queued = jxp_one(jx_host, db,
	                 "SELECT COUNT(*) FROM jobs WHERE kind = "
	                 "'keyinfo.refresh' AND state = 'queued' AND params "
	                 "= ?",
	                 "s", text ? text : "");
	cJSON_free(text);
	if (queued != 0) {
		cJSON_Delete(params);
		return queued < 0 ? -1 : 0;
	}
	return jx_host->job_submit(db, "keyinfo.refresh", params, 0) > 0 ? 0
	                                                                 : -1;
}

int
ki_mark_stale(jx_db *db, int64_t student)
{
	int64_t a, b;

	/* The stale counter goes up (a result computed before this change
	 * is then not written); a student without a result gets a
	 * placeholder, so that the same holds for them. */
	if (jx_host->db_exec(
	        db,
	        "INSERT INTO keyinfo_results(student_id, school_id, "
	        "class_id, district_id, rules_version, complete, "
	        "errors, missing, problems, stale, computed_at) SELECT "
	        "s.person_id, s.school_id, COALESCE(s.class_id, 0), "
	        "sc.district_id, -1, 0, 0, 3, '[]', 1, ? FROM students "
	        "s JOIN schools sc ON sc.id = s.school_id WHERE "
	        "s.person_id = ? ON CONFLICT(student_id) DO UPDATE SET "
	        "stale = keyinfo_results.stale + 1",
	        "ii", jx_host->now(), student) < 0 ||
	    (a = jx_host->db_exec(
	         db,
	         "INSERT INTO keyinfo_dirty(school_id, "
	         "district_id) SELECT school_id, district_id FROM "
	         "keyinfo_results WHERE student_id = ? ON CONFLICT "
	         "DO NOTHING",
	         "i", student)) < 0 ||
	    (b = jx_host->db_exec(
	         db,
	         "INSERT INTO keyinfo_dirty(school_id, "
	         "district_id) SELECT s.school_id, sc.district_id "
	         "FROM students s JOIN schools sc ON sc.id = "
	         "s.school_id WHERE s.person_id = ? ON CONFLICT DO "
	         "NOTHING",
	         "i", student)) < 0)
		return -1;
	/* A school already dirty has its refresh queued: an import of
	 * many students queues one, not one per row. */
	return a + b > 0 ? ki_queue_refresh(db, -1, 0) : 0;
}

/* roster.student_changed {"student_id"}: a student was added, edited,
 * moved or left. */
static int
ki_on_student_changed(jx_db *db, const char *event, const cJSON *payload,
                      void *ud)
{
	const cJSON *id = cJSON_GetObjectItem(payload, "student_id");

	(void)event;
	(void)ud;
	if (!cJSON_IsNumber(id))
		return 0;
	return ki_mark_stale(db, (int64_t)id->valuedouble);
}

/* roster.school_changed {"school_id"}: many of a school's students
 * changed at once (an import): all its results are rechecked. */
static int
ki_on_school_changed(jx_db *db, const char *event, const cJSON *payload,
                     void *ud)
{
	const cJSON *id = cJSON_GetObjectItem(payload, "school_id");
	int64_t school;

	(void)event;
	(void)ud;
	if (!cJSON_IsNumber(id))
		return 0;
	school = (int64_t)id->valuedouble;
	if (jx_host->db_exec(
	        db,
	        "UPDATE keyinfo_results SET stale = stale + 1 WHERE "
	        "school_id = ?",
	        "i", school) < 0 ||
	    jx_host->db_exec(
	        db,
	        "INSERT INTO keyinfo_dirty(school_id, district_id) "
	        "SELECT id, district_id FROM schools WHERE id = ? ON "
	        "CONFLICT DO NOTHING",
	        "i", school) < 0)
		return -1;
	return ki_queue_refresh(db, -1, 0);
}

/* rules.activated {"district_id","version"}: a district's rules changed
 * (district 0: the default rules of every district were reloaded). */
static int
ki_on_rules(jx_db *db, const char *event, const cJSON *payload, void *ud)
{
	const cJSON *d = cJSON_GetObjectItem(payload, "district_id");
	int64_t district = cJSON_IsNumber(d) ? (int64_t)d->valuedouble : 0;

	(void)event;
	(void)ud;
	if (district <= 0) {
		/* The results of every district used the old defaults. */
		if (jx_host->db_exec(
		        db, "UPDATE keyinfo_counts SET rules_version = -1",
		        "") < 0 ||
		    jx_host->db_exec(
		        db,
		        "UPDATE keyinfo_school_counts SET rules_version = "
		        "-1",
		        "") < 0 ||
		    jx_host->db_exec(
		        db, "UPDATE keyinfo_results SET rules_version = -1",
		        "") < 0)
			return -1;
		return ki_queue_refresh(db, 0, 0);
	}
	return ki_queue_refresh(db, district, 0);
}

/*
 * The refresh job: the dirty schools, then (district_id >= 0) every
 * school of the district (0: of all districts) whose results are not of
 * its current rules. Schools are shared out to as many threads as the
 * host gives (the rules are most of the work); each school's results are
 * written in one short transaction, so readers and writers never wait
 * long and a crash loses at most the schools in hand.
 */
struct ki_pool {
	jx_job *job;
	int64_t *schools;
	size_t n;
	int all;
	pthread_mutex_t mu;
	size_t next;
	int64_t done, failed, checked;
};

static void
ki_refresh_worker(void *arg, int i)
{
	struct ki_pool *p = arg;
	jx_db *db = jx_host->thread_db();

	for (;;) {
		int64_t school, k = -1, done;
		size_t at;

		/* At shutdown, stop between schools: what is left stays
		 * dirty or of the old version, and the next start queues a
		 * refresh for it (ki_results_init). */
		if (jx_host->job_stopping(p->job))
			break;
		pthread_mutex_lock(&p->mu);
		at = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (at >= p->n)
			break;
		school = p->schools[at];
		if (db != NULL)
			k = ki_refresh_school_apart(db, school, p->all);
		if (k < 0)
			jx_host->log(JX_LOG_WARN, "keyinfo",
			             "refreshing school %lld failed: %s",
			             (long long)school,
			             db ? jx_host->db_errmsg(db)
			                : "no connection");
		pthread_mutex_lock(&p->mu);
		if (k < 0)
			p->failed++;
		else
			p->checked += k;
		done = ++p->done;
		pthread_mutex_unlock(&p->mu);
		/* Progress is the job's own connection: thread 0 only. */
		if (i == 0)
			jx_host->job_progress(p->job, done, (int64_t)p->n);
	}
}

static int
ki_refresh_job(jx_job *job, void *ud)
{
	const cJSON *params = jx_host->job_params(job);
	const cJSON *d = cJSON_GetObjectItem(params, "district_id");
	int64_t district = cJSON_IsNumber(d) ? (int64_t)d->valuedouble : -1;
	struct ki_pool p = {.job = job, .mu = PTHREAD_MUTEX_INITIALIZER};
	jx_db *db = jx_host->job_db(job);
	size_t cap = 0;
	jx_stmt *st;
	cJSON *res;
	int threads;

	(void)ud;
	p.all = cJSON_IsTrue(cJSON_GetObjectItem(params, "all"));
	st = jx_host->db_query(
	    db,
	    district < 0
	        ? "SELECT school_id FROM keyinfo_dirty ORDER BY school_id"
	        : "SELECT id FROM schools WHERE ? = 0 OR district_id = ? "
	          "UNION SELECT school_id FROM keyinfo_dirty ORDER BY 1",
	    district < 0 ? "" : "ii", district, district);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		if (p.n == cap) {
			int64_t *m;

			cap = cap ? cap * 2 : 64;
			m = realloc(p.schools, cap * sizeof(*m));
			if (m == NULL)
				break;
			p.schools = m;
		}
		p.schools[p.n++] = jx_host->db_int(st, 0);
	}
	jx_host->db_finish(st);
	threads = jx_host->parallel(ki_refresh_worker, &p,
	                            (int)(p.n < 64 ? p.n : 64));
	jx_host->job_progress(job, p.done, (int64_t)p.n);
	free(p.schools);
	res = cJSON_CreateObject();
	cJSON_AddNumberToObject(res, "schools", (double)p.done);
	cJSON_AddNumberToObject(res, "failed", (double)p.failed);
	cJSON_AddNumberToObject(res, "checked", (double)p.checked);
	cJSON_AddNumberToObject(res, "threads", threads);
	cJSON_AddBoolToObject(res, "stopped", p.done < (int64_t)p.n);
	jx_host->job_set_result(job, res);
	return p.failed == 0 && p.done == (int64_t)p.n ? 0 : 1;
}

int
ki_results_init(struct jx_registrar *reg)
{
	jx_db *db;

	if (reg->subscribe(reg, "roster.student_changed", ki_on_student_changed,
	                   NULL) != 0 ||
	    reg->subscribe(reg, "roster.school_changed", ki_on_school_changed,
	                   NULL) != 0 ||
	    reg->subscribe(reg, "rules.activated", ki_on_rules, NULL) != 0 ||
	    reg->job_kind(reg, "keyinfo.refresh", ki_refresh_job, NULL) != 0)
		return -1;
	/* Students without a result (the demo's, or added before this
	 * plugin) are checked by the refresh that follows the first start
	 * (the host announces the default rules as new then), and by any
	 * read of their school's progress. Work a stop interrupted (dirty
	 * schools, results of an older rules version) is queued again. */
	db = jx_host->thread_db();
	if (db != NULL &&
	    jxp_one(jx_host, db,
	            "SELECT EXISTS (SELECT 1 FROM keyinfo_dirty) OR EXISTS "
	            "(SELECT 1 FROM keyinfo_school_counts k JOIN districts d "
	            "ON d.id = k.district_id WHERE k.rules_version != "
	            "d.rules_version) OR EXISTS (SELECT 1 FROM schools sc "
	            "WHERE NOT EXISTS (SELECT 1 FROM keyinfo_school_counts k "
	            "WHERE k.school_id = sc.id) AND EXISTS (SELECT 1 FROM "
	            "students s WHERE s.school_id = sc.id AND s.status = "
	            "'in_school'))",
	            "") == 1 &&
	    jx_host->db_begin(db) == 0) {
		if (ki_queue_refresh(db, 0, 0) != 0 ||
		    jx_host->db_commit(db) != 0)
			jx_host->db_rollback(db);
	}
	return 0;
}
