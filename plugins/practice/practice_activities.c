/*
 * practice_activities.c — activities at a practice base (API.md, "Social
 * practice"): published by the district admin of the base's district or
 * an admin of the base, every field checked; listed for families by
 * their district and their child's grade, for staff by what they run;
 * edited (never below the seats taken: a larger capacity confirms the
 * first waitlisted at once), closed to new registrations, or cancelled
 * (every live registration cancelled, the families told).
 */
#include "practice.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The child's grade now (1..12), 0 when the student has no class. */
static int64_t
activity_student_grade(jx_db *db, int64_t student)
{
	return jxp_one(jx_host, db,
	               "SELECT c.grade FROM students s JOIN classes c ON c.id "
	               "= s.class_id WHERE s.person_id = ? AND s.status = "
	               "'in_school'",
	               "i", student);
}

int
practice_activity_manages(jx_db *db, const struct practice_who *w,
                          int64_t activity)
{
	int64_t base = jxp_one(jx_host, db,
	                       "SELECT base_id FROM practice_activities WHERE "
	                       "id = ?",
	                       "i", activity);

	if (base <= 0)
		return base < 0 ? -1 : 0;
	return practice_base_manages(db, w, base);
}

int
practice_activity_visible(jx_db *db, const struct practice_who *w,
                          int64_t activity)
{
	int m = practice_activity_manages(db, w, activity);

	if (m != 0 || w->badmin || w->dadmin || w->city)
		return m;
	if (w->family)
		return jxp_one(jx_host, db,
		               "SELECT 1 FROM practice_activities a JOIN "
		               "practice_activity_grades g ON g.activity_id = "
		               "a.id WHERE a.id = ? AND a.district_id = ? AND "
		               "g.grade = ?",
		               "iii", activity, w->district,
		               activity_student_grade(db, w->student)) == 1;
	return jxp_one(jx_host, db,
	               "SELECT 1 FROM practice_activities WHERE id = ? AND "
	               "district_id = ?",
	               "ii", activity, w->district) == 1;
}

cJSON *
practice_activity_json(jx_req *req, jx_db *db, int64_t activity)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT a.id, a.base_id, b.name, b.address, a.district_id, "
	    "a.title, a.description, a.starts_at, a.ends_at, "
	    "a.signup_deadline, a.capacity, a.hours_tenths, a.status, "
	    "a.confirmed, a.waitlisted, a.created_at, a.updated_at, "
	    "a.cancel_reason FROM practice_activities a JOIN practice_bases "
	    "b ON b.id = a.base_id WHERE a.id = ?",
	    "i", activity);
	cJSON *o = NULL, *grades;
	int64_t capacity, confirmed;

	(void)req;
	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW) {
		jx_host->db_finish(st);
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)jx_host->db_int(st, 0));
	cJSON_AddNumberToObject(o, "base_id", (double)jx_host->db_int(st, 1));
	cJSON_AddStringToObject(o, "base_name", jx_host->db_text(st, 2));
	cJSON_AddStringToObject(o, "address", jx_host->db_text(st, 3));
	cJSON_AddNumberToObject(o, "district_id",
	                        (double)jx_host->db_int(st, 4));
	cJSON_AddStringToObject(o, "title", jx_host->db_text(st, 5));
	cJSON_AddStringToObject(o, "description", jx_host->db_text(st, 6));
	cJSON_AddItemToObject(o, "starts_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 7)));
	cJSON_AddItemToObject(o, "ends_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 8)));
	cJSON_AddItemToObject(o, "signup_deadline",
	                      jxp_time(jx_host, jx_host->db_int(st, 9)));
	capacity = jx_host->db_int(st, 10);
	confirmed = jx_host->db_int(st, 13);
	cJSON_AddNumberToObject(o, "capacity", (double)capacity);
	cJSON_AddNumberToObject(o, "hours",
	                        practice_hours(jx_host->db_int(st, 11)));
	cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 12));
	cJSON_AddNumberToObject(o, "confirmed", (double)confirmed);
	cJSON_AddNumberToObject(o, "waitlisted",
	                        (double)jx_host->db_int(st, 14));
	cJSON_AddNumberToObject(
	    o, "seats_left",
	    (double)(capacity > confirmed ? capacity - confirmed : 0));
	cJSON_AddBoolToObject(o, "signup_open",
	                      strcmp(jx_host->db_text(st, 12), "open") == 0 &&
	                          jx_host->now() <= jx_host->db_int(st, 9));
	cJSON_AddItemToObject(o, "created_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 15)));
	cJSON_AddItemToObject(o, "updated_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 16)));
	if (jx_host->db_is_null(st, 17))
		cJSON_AddNullToObject(o, "cancel_reason");
	else
		cJSON_AddStringToObject(o, "cancel_reason",
		                        jx_host->db_text(st, 17));
	jx_host->db_finish(st);
	grades = cJSON_CreateArray();
	st = jx_host->db_query(db,
	                       "SELECT grade FROM practice_activity_grades "
	                       "WHERE activity_id = ? ORDER BY grade",
	                       "i", activity);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddItemToArray(
		    grades, cJSON_CreateNumber((double)jx_host->db_int(st, 0)));
	jx_host->db_finish(st);
	cJSON_AddItemToObject(o, "grades", grades);
	return o;
}

/* The acting family's live registration for the activity, if any. */
static void
activity_add_mine(jx_db *db, const struct practice_who *w, cJSON *o,
                  int64_t activity)
{
	jx_stmt *st;
	cJSON *r = NULL;

	if (!w->family || w->student <= 0)
		return;
	st = jx_host->db_query(
	    db,
	    "SELECT r.id, r.status, CASE WHEN r.status = 'waitlisted' THEN "
	    "(SELECT COUNT(*) FROM practice_registrations x WHERE "
	    "x.activity_id = r.activity_id AND x.status = 'waitlisted' AND "
	    "x.id <= r.id) END FROM practice_registrations r WHERE "
	    "r.activity_id = ? AND r.student_id = ? AND r.status <> "
	    "'cancelled'",
	    "ii", activity, w->student);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(r, "status", jx_host->db_text(st, 1));
		if (!jx_host->db_is_null(st, 2))
			cJSON_AddNumberToObject(r, "position",
			                        (double)jx_host->db_int(st, 2));
	}
	jx_host->db_finish(st);
	if (r != NULL)
		cJSON_AddItemToObject(o, "registration", r);
	else
		cJSON_AddNullToObject(o, "registration");
}

/* What an activity's body holds, checked (create: all required). */
struct activity_in {
	int64_t base, starts, ends, deadline, capacity, tenths;
	int has_base, has_starts, has_ends, has_deadline, has_capacity,
	    has_hours, has_grades;
	const char *title, *description;
	int grades[12];
	int ngrades;
};

/* A time member: 1 set, 0 absent (an error when required), -1 bad. */
static int
activity_time(jx_req *req, const cJSON *b, const char *k, int required,
              int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, k);

	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			practice_bad(req, k, "practice.err.required");
		return required ? -1 : 0;
	}
	if (!cJSON_IsString(v) || (*out = jxp_parse_time(v->valuestring)) < 0) {
		practice_bad(req, k, "practice.err.time");
		return -1;
	}
	return 1;
}

/* An integer member, like activity_time. */
static int
activity_int(jx_req *req, const cJSON *b, const char *k, int required,
             int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, k);

	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			practice_bad(req, k, "practice.err.required");
		return required ? -1 : 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    fabs(v->valuedouble) > 1e9) {
		practice_bad(req, k, "practice.err.integer");
		return -1;
	}
	*out = (int64_t)v->valuedouble;
	return 1;
}

static void
activity_read(jx_req *req, const cJSON *b, int create, struct activity_in *in)
{
	const cJSON *v;

	memset(in, 0, sizeof(*in));
	in->has_base = activity_int(req, b, "base_id", create, &in->base) == 1;
	practice_text(req, b, "title", create, 100, 0, &in->title);
	practice_text(req, b, "description", 0, 4000, 1, &in->description);
	in->has_starts =
	    activity_time(req, b, "starts_at", create, &in->starts) == 1;
	in->has_ends = activity_time(req, b, "ends_at", create, &in->ends) == 1;
	in->has_deadline = activity_time(req, b, "signup_deadline", create,
	                                 &in->deadline) == 1;
	in->has_capacity =
	    activity_int(req, b, "capacity", create, &in->capacity) == 1;
	if (in->has_capacity && (in->capacity < 1 || in->capacity > 100000)) {
		practice_bad(req, "capacity", "practice.err.capacity");
		in->has_capacity = 0;
	}
	v = cJSON_GetObjectItemCaseSensitive(b, "hours");
	if (v == NULL || cJSON_IsNull(v)) {
		if (create)
			practice_bad(req, "hours", "practice.err.required");
	} else if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) ||
	           v->valuedouble > 24.0 * 366) {
		practice_bad(req, "hours", "practice.err.hours");
	} else {
		in->tenths = (int64_t)llround(v->valuedouble * 10.0);
		if (in->tenths < 1)
			practice_bad(req, "hours", "practice.err.hours");
		else
			in->has_hours = 1;
	}
	v = cJSON_GetObjectItemCaseSensitive(b, "grades");
	if (v == NULL || cJSON_IsNull(v)) {
		if (create)
			practice_bad(req, "grades", "practice.err.required");
	} else if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1) {
		practice_bad(req, "grades", "practice.err.grades");
	} else {
		const cJSON *g;
		int seen[13] = {0}, ok = 1;

		cJSON_ArrayForEach(g, v)
		{
			int n;

			if (!cJSON_IsNumber(g) ||
			    g->valuedouble != floor(g->valuedouble) ||
			    g->valuedouble < 1 || g->valuedouble > 12) {
				ok = 0;
				break;
			}
			n = (int)g->valuedouble;
			if (!seen[n]++)
				in->grades[in->ngrades++] = n;
		}
		if (!ok)
			practice_bad(req, "grades", "practice.err.grades");
		else
			in->has_grades = 1;
	}
}

/* The rules between fields, on the values the activity will have. */
static void
activity_check(jx_req *req, int64_t starts, int64_t ends, int64_t deadline,
               int64_t tenths, int check_deadline_future)
{
	int64_t days;

	if (ends <= starts)
		practice_bad(req, "ends_at", "practice.err.ends_before");
	if (deadline > starts)
		practice_bad(req, "signup_deadline",
		             "practice.err.deadline_after_start");
	else if (check_deadline_future && deadline <= jx_host->now())
		practice_bad(req, "signup_deadline", "practice.err.past");
	/* at most 24 hours for each day the activity touches */
	days = ends > starts ? (ends - starts + 86399) / 86400 : 1;
	if (days < 1)
		days = 1;
	if (tenths > days * 240)
		practice_bad(req, "hours", "practice.err.hours");
}

static int
activity_grades_put(jx_db *db, int64_t id, const struct activity_in *in)
{
	if (jx_host->db_exec(db,
	                     "DELETE FROM practice_activity_grades WHERE "
	                     "activity_id = ?",
	                     "i", id) < 0)
		return -1;
	for (int k = 0; k < in->ngrades; k++)
		if (jx_host->db_exec(db,
		                     "INSERT INTO practice_activity_grades("
		                     "activity_id, grade) VALUES (?, ?)",
		                     "ii", id, (int64_t)in->grades[k]) != 1)
			return -1;
	return 0;
}

int
practice_activities_create(jx_req *req, void *ud)
{
	struct practice_who w;
	struct activity_in in;
	jx_db *db = jx_host->req_db(req);
	int64_t id, district, now = jx_host->now();
	cJSON *b, *o, *detail;
	char target[64];

	(void)ud;
	if (practice_who(req, &w) != 0 || !(w.dadmin || w.badmin))
		return practice_refuse(req, 403, "forbidden",
		                       "practice.err.staff_only");
	b = jx_host->req_json(req);
	if (b == NULL)
		return jx_host->req_status(req);
	activity_read(req, b, 1, &in);
	if (in.has_base && practice_base_manages(db, &w, in.base) != 1) {
		practice_bad(req, "base_id", "practice.err.base");
		in.has_base = 0;
	}
	if (in.has_base &&
	    jxp_one(jx_host, db,
	            "SELECT 1 FROM practice_bases WHERE id = ? AND status = "
	            "'active'",
	            "i", in.base) != 1)
		practice_bad(req, "base_id", "practice.err.base_closed");
	if (in.has_starts && in.has_ends && in.has_deadline && in.has_hours)
		activity_check(req, in.starts, in.ends, in.deadline, in.tenths,
		               1);
	if (jx_host->problem_count(req) > 0)
		return practice_invalid(req);
	district = practice_base_district(db, in.base);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO practice_activities(base_id, district_id, title, "
	    "description, starts_at, ends_at, signup_deadline, capacity, "
	    "hours_tenths, created_by, created_at, updated_at) VALUES (?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "iissiiiiiiii", in.base, district, in.title,
	    in.description ? in.description : "", in.starts, in.ends,
	    in.deadline, in.capacity, in.tenths, w.person, now, now);
	snprintf(target, sizeof(target), "practice_activity:%lld",
	         (long long)id);
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "id", (double)id);
	cJSON_AddNumberToObject(detail, "base_id", (double)in.base);
	cJSON_AddNumberToObject(detail, "district_id", (double)district);
	cJSON_AddNumberToObject(detail, "capacity", (double)in.capacity);
	cJSON_AddNumberToObject(detail, "hours", practice_hours(in.tenths));
	cJSON_AddNumberToObject(detail, "created_by", (double)w.person);
	if (id <= 0 || activity_grades_put(db, id, &in) != 0 ||
	    jx_host->audit(req, "practice.activity_created", target, detail) !=
	        0 ||
	    jx_host->publish(db, "practice.activity_created", detail) != 0) {
		cJSON_Delete(detail);
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_Delete(detail);
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	o = practice_activity_json(req, db, id);
	return o ? jx_host->reply_json(req, 201, o)
	         : jxp_storage_error(jx_host, req);
}

int
practice_activities_list(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	const char *status = jx_host->req_query(req, "status");
	const char *base_q = jx_host->req_query(req, "base_id");
	int64_t limit, after, base = 0, grade = 0;
	jx_stmt *st;
	cJSON *items;

	(void)ud;
	if (practice_who(req, &w) != 0)
		return jxp_forbidden(jx_host, req);
	jxp_page(jx_host, req, &limit, &after);
	if (status == NULL)
		status = "open";
	if (strcmp(status, "open") != 0 && strcmp(status, "closed") != 0 &&
	    strcmp(status, "cancelled") != 0 && strcmp(status, "all") != 0)
		practice_bad(req, "status", "practice.err.status");
	if (base_q != NULL && (base = atoll(base_q)) <= 0)
		practice_bad(req, "base_id", "practice.err.integer");
	if (jx_host->problem_count(req) > 0)
		return practice_invalid(req);
	if (w.family) {
		grade = activity_student_grade(db, w.student);
		if (grade <= 0)
			return jx_host->reply_json(
			    req, 200,
			    jxp_items(cJSON_CreateArray(), limit, "id"));
	}
	/* one query for every reach: base admins by their bases, families
	 * by district and grade, everyone else by district (the city
	 * admin: all) */
	st = jx_host->db_query(
	    db,
	    "SELECT a.id FROM practice_activities a WHERE a.id > ? AND (? = "
	    "'all' OR a.status = ?) AND (? = 0 OR a.base_id = ?) AND (CASE "
	    "WHEN ? = 1 THEN a.base_id IN (SELECT x.base_id FROM "
	    "practice_base_admins x WHERE x.identity_id = ?) WHEN ? = 1 THEN "
	    "1 = 1 ELSE a.district_id = ? END) AND (? = 0 OR EXISTS (SELECT "
	    "1 FROM practice_activity_grades g WHERE g.activity_id = a.id AND "
	    "g.grade = ?)) ORDER BY a.id LIMIT ?",
	    "issiiiiiiiii", after, status, status, base, base,
	    (int64_t)w.badmin, w.id->id, (int64_t)w.city, w.district, grade,
	    grade, limit + 1);
	if (st == NULL)
		return jxp_storage_error(jx_host, req);
	items = cJSON_CreateArray();
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		cJSON *o = practice_activity_json(req, db, id);

		if (o == NULL)
			continue;
		activity_add_mine(db, &w, o, id);
		cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	return jx_host->reply_json(req, 200, jxp_items(items, limit, "id"));
}

/* The preamble of a route on one activity: fills w and returns the
 * activity's id, or 0 after a reply (403 without an identity, 404 when
 * w does not see it, 403 staff_only when staff is set and w does not
 * manage it). */
static int64_t
activity_route(jx_req *req, jx_db *db, struct practice_who *w, int staff)
{
	int64_t id;

	if (practice_who(req, w) != 0) {
		jxp_forbidden(jx_host, req);
		return 0;
	}
	id = jx_host->req_param_id(req, "id");
	if (id <= 0 || practice_activity_visible(db, w, id) != 1) {
		jxp_not_found(jx_host, req);
		return 0;
	}
	if (staff && practice_activity_manages(db, w, id) != 1) {
		practice_refuse(req, 403, "forbidden",
		                "practice.err.staff_only");
		return 0;
	}
	return id;
}

int
practice_activities_get(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t id;
	cJSON *o;

	(void)ud;
	if ((id = activity_route(req, db, &w, 0)) == 0)
		return jx_host->req_status(req);
	o = practice_activity_json(req, db, id);
	if (o == NULL)
		return jxp_not_found(jx_host, req);
	activity_add_mine(db, &w, o, id);
	cJSON_AddBoolToObject(o, "manages",
	                      practice_activity_manages(db, &w, id) == 1);
	return jx_host->reply_json(req, 200, o);
}

/* Confirms waitlisted registrations while seats are free, first come
 * first served, telling each family (in the caller's transaction). The
 * number confirmed, or -1. */
int64_t
practice_promote(jx_db *db, int64_t activity)
{
	int64_t n = 0;

	for (;;) {
		int64_t reg, student, now = jx_host->now();
		jx_stmt *st = jx_host->db_query(
		    db,
		    "SELECT id, student_id FROM practice_registrations WHERE "
		    "activity_id = ? AND status = 'waitlisted' ORDER BY id "
		    "LIMIT 1",
		    "i", activity);
		cJSON *ev;
		int rc;

		if (st == NULL)
			return -1;
		if (jx_host->db_step(st) != JX_DB_ROW) {
			jx_host->db_finish(st);
			return n;
		}
		reg = jx_host->db_int(st, 0);
		student = jx_host->db_int(st, 1);
		jx_host->db_finish(st);
		/* the seat first, by the same conditional UPDATE as a
		 * registration: no seat, no promotion */
		rc = (int)jx_host->db_exec(
		    db,
		    "UPDATE practice_activities SET confirmed = confirmed + 1, "
		    "waitlisted = waitlisted - 1, updated_at = ? WHERE id = ? "
		    "AND status <> 'cancelled' AND confirmed < capacity",
		    "ii", now, activity);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return n;
		if (jx_host->db_exec(
		        db,
		        "UPDATE practice_registrations SET status = "
		        "'confirmed', confirmed_at = ?, updated_at "
		        "= ? WHERE id = ? AND status = 'waitlisted'",
		        "iii", now, now, reg) != 1)
			return -1;
		ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "registration_id", (double)reg);
		cJSON_AddNumberToObject(ev, "activity_id", (double)activity);
		cJSON_AddNumberToObject(ev, "student_id", (double)student);
		rc = jx_host->publish(db, "practice.promoted", ev);
		cJSON_Delete(ev);
		if (rc != 0 ||
		    practice_tell_family(db, student, activity,
		                         "practice_confirmed", reg) != 0)
			return -1;
		n++;
	}
}

int
practice_activities_patch(jx_req *req, void *ud)
{
	struct practice_who w;
	struct activity_in in;
	jx_db *db = jx_host->req_db(req);
	int64_t id, starts, ends, deadline, tenths, confirmed, old_deadline;
	const char *status, *cur;
	char target[64], cur_status[16] = "";
	jx_stmt *st;
	cJSON *b;

	(void)ud;
	if ((id = activity_route(req, db, &w, 1)) == 0)
		return jx_host->req_status(req);
	b = jx_host->req_json(req);
	if (b == NULL)
		return jx_host->req_status(req);
	activity_read(req, b, 0, &in);
	if (in.has_base)
		practice_bad(req, "base_id", "practice.err.base_fixed");
	status = practice_str(b, "status");
	if (cJSON_GetObjectItemCaseSensitive(b, "status") != NULL &&
	    (status == NULL ||
	     (strcmp(status, "open") != 0 && strcmp(status, "closed") != 0)))
		practice_bad(req, "status", "practice.err.status_edit");
	if (jx_host->problem_count(req) > 0)
		return practice_invalid(req);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	st = jx_host->db_query(db,
	                       "SELECT starts_at, ends_at, signup_deadline, "
	                       "hours_tenths, confirmed, status FROM "
	                       "practice_activities WHERE id = ?",
	                       "i", id);
	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW) {
		jx_host->db_finish(st);
		goto fail;
	}
	starts = in.has_starts ? in.starts : jx_host->db_int(st, 0);
	ends = in.has_ends ? in.ends : jx_host->db_int(st, 1);
	old_deadline = jx_host->db_int(st, 2);
	deadline = in.has_deadline ? in.deadline : old_deadline;
	tenths = in.has_hours ? in.tenths : jx_host->db_int(st, 3);
	confirmed = jx_host->db_int(st, 4);
	cur = jx_host->db_text(st, 5);
	snprintf(cur_status, sizeof(cur_status), "%s", cur ? cur : "");
	jx_host->db_finish(st);
	if (strcmp(cur_status, "cancelled") == 0) {
		jx_host->db_rollback(db);
		return practice_refuse(req, 409, "activity-cancelled",
		                       "practice.err.cancelled");
	}
	activity_check(req, starts, ends, deadline, tenths,
	               in.has_deadline && deadline != old_deadline);
	if (in.has_capacity && in.capacity < confirmed)
		practice_bad(req, "capacity", "practice.err.below_confirmed");
	if (jx_host->problem_count(req) > 0) {
		jx_host->db_rollback(db);
		return practice_invalid(req);
	}
	if (jx_host->db_exec(
	        db,
	        "UPDATE practice_activities SET title = COALESCE(?, title), "
	        "description = COALESCE(?, description), starts_at = ?, "
	        "ends_at = ?, signup_deadline = ?, hours_tenths = ?, capacity "
	        "= CASE WHEN ? > 0 THEN ? ELSE capacity END, status = "
	        "COALESCE(?, status), updated_at = ? WHERE id = ? AND "
	        "confirmed <= CASE WHEN ? > 0 THEN ? ELSE capacity END",
	        "ssiiiiiisiiii", in.title, in.description, starts, ends,
	        deadline, tenths, in.capacity, in.capacity, status,
	        jx_host->now(), id, in.capacity, in.capacity) != 1)
		goto fail;
	if (in.has_grades && activity_grades_put(db, id, &in) != 0)
		goto fail;
	/* more seats: the waitlist moves up now */
	if (in.has_capacity && practice_promote(db, id) < 0)
		goto fail;
	snprintf(target, sizeof(target), "practice_activity:%lld",
	         (long long)id);
	if (jx_host->audit(req, "practice.activity_changed", target, b) != 0 ||
	    jx_host->db_commit(db) != 0)
		goto fail;
	return jx_host->reply_json(req, 200,
	                           practice_activity_json(req, db, id));
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

int
practice_activities_close(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t id, n;
	char target[64];

	(void)ud;
	if ((id = activity_route(req, db, &w, 1)) == 0)
		return jx_host->req_status(req);
	snprintf(target, sizeof(target), "practice_activity:%lld",
	         (long long)id);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	n = jx_host->db_exec(db,
	                     "UPDATE practice_activities SET status = "
	                     "'closed', updated_at = ? WHERE id = ? AND "
	                     "status = 'open'",
	                     "ii", jx_host->now(), id);
	if (n < 0 ||
	    (n == 1 && jx_host->audit(req, "practice.activity_closed", target,
	                              NULL) != 0) ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (n == 0 && jxp_one(jx_host, db,
	                      "SELECT 1 FROM practice_activities WHERE id = ? "
	                      "AND status = 'cancelled'",
	                      "i", id) == 1)
		return practice_refuse(req, 409, "activity-cancelled",
		                       "practice.err.cancelled");
	return jx_host->reply_json(req, 200,
	                           practice_activity_json(req, db, id));
}

int
practice_activities_cancel(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	const char *reason = NULL;
	int64_t id, now = jx_host->now(), cancelled = 0;
	char target[64];
	jx_stmt *st;
	cJSON *b, *ev;
	int64_t *students = NULL, *regs = NULL;
	int n = 0, cap = 0, rc;

	(void)ud;
	if ((id = activity_route(req, db, &w, 1)) == 0)
		return jx_host->req_status(req);
	/* the body is optional: {"reason"} */
	if (jx_host->req_header(req, "Content-Type") != NULL) {
		b = jx_host->req_json(req);
		if (b == NULL)
			return jx_host->req_status(req);
		if (practice_text(req, b, "reason", 0, 200, 0, &reason) != 0)
			return practice_invalid(req);
	}
	snprintf(target, sizeof(target), "practice_activity:%lld",
	         (long long)id);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	rc = (int)jx_host->db_exec(
	    db,
	    "UPDATE practice_activities SET status = 'cancelled', "
	    "cancel_reason = ?, updated_at = ? WHERE id = ? AND status <> "
	    "'cancelled'",
	    "sii", reason, now, id);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		jx_host->db_rollback(db);
		return practice_refuse(req, 409, "activity-cancelled",
		                       "practice.err.cancelled");
	}
	st = jx_host->db_query(db,
	                       "SELECT id, student_id FROM "
	                       "practice_registrations WHERE activity_id = ? "
	                       "AND status IN ('confirmed','waitlisted') "
	                       "ORDER BY id",
	                       "i", id);
	if (st == NULL)
		goto fail;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		if (n == cap) {
			int64_t *s2, *r2;

			cap = cap ? cap * 2 : 64;
			s2 = jx_host->alloc(req, (size_t)cap * sizeof(*s2));
			r2 = jx_host->alloc(req, (size_t)cap * sizeof(*r2));
			if (n > 0) {
				memcpy(s2, students, (size_t)n * sizeof(*s2));
				memcpy(r2, regs, (size_t)n * sizeof(*r2));
			}
			students = s2;
			regs = r2;
		}
		regs[n] = jx_host->db_int(st, 0);
		students[n++] = jx_host->db_int(st, 1);
	}
	jx_host->db_finish(st);
	cancelled = jx_host->db_exec(
	    db,
	    "UPDATE practice_registrations SET status = 'cancelled', "
	    "cancelled_at = ?, cancelled_by = ?, cancel_reason = 'activity', "
	    "updated_at = ? WHERE activity_id = ? AND status IN "
	    "('confirmed','waitlisted')",
	    "iiii", now, w.person, now, id);
	if (cancelled < 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE practice_activities SET confirmed = "
	                     "(SELECT COUNT(*) FROM practice_registrations r "
	                     "WHERE r.activity_id = ? AND r.status = "
	                     "'checked_in'), waitlisted = 0 WHERE id = ?",
	                     "ii", id, id) != 1)
		goto fail;
	for (int k = 0; k < n; k++)
		if (practice_tell_family(db, students[k], id,
		                         "practice_activity_cancelled",
		                         regs[k]) != 0)
			goto fail;
	ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "activity_id", (double)id);
	cJSON_AddNumberToObject(ev, "registrations_cancelled",
	                        (double)cancelled);
	cJSON_AddNumberToObject(ev, "by_person_id", (double)w.person);
	rc =
	    jx_host->publish(db, "practice.activity_cancelled", ev) != 0 ||
	    jx_host->audit(req, "practice.activity_cancelled", target, ev) != 0;
	cJSON_Delete(ev);
	if (rc != 0 || jx_host->db_commit(db) != 0)
		goto fail;
	return jx_host->reply_json(req, 200,
	                           practice_activity_json(req, db, id));
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}
