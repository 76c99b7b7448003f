/*
 * practice_registrations.c — registering for an activity, the waitlist
 * and cancelling (API.md, "Social practice").
 *
 * A parent registers the acting identity's child, a student themself;
 * the child's grade must be one of the activity's, the signup deadline
 * (the host's clock) not passed, no live registration for the pair yet,
 * and, where the district's rule practice_max_open gives a number, fewer
 * open registrations than that. Capacity is decided inside one write
 * transaction by a conditional UPDATE of the activity's counter
 * (confirmed < capacity): one row changed is a seat, none is the
 * waitlist. A partial unique index keeps one live registration per pair.
 * The waitlist is ordered by registration id; a cancelled seat goes to
 * the first waitlisted in the same transaction, and that family is told.
 * A family may not cancel a confirmed registration within
 * practice_cancel_cutoff_hours (a district rule, default 24; false: no
 * cutoff) of the start; staff always may, and anyone may leave the
 * waitlist.
 */
#include "practice.h"

#include <stdio.h>
#include <string.h>

/* A number the district's rules give for name (args: the student's
 * grade): 0 when the rule says false (off), def when it fails. */
static int64_t
reg_rule_number(jx_db *db, int64_t district, const char *name, int64_t grade,
                int64_t def)
{
	cJSON *args = cJSON_CreateArray(), *r = NULL;
	int64_t version, v = def;
	char err[256];

	cJSON_AddItemToArray(args, cJSON_CreateNumber((double)grade));
	if (jx_host->rule_call(db, district, NULL, name, args, &r, &version,
	                       err, sizeof(err)) != 0)
		jx_host->log(JX_LOG_WARN, "practice", "district %lld: %s: %s",
		             (long long)district, name, err);
	else if (cJSON_IsNumber(r) && r->valuedouble >= 0)
		v = (int64_t)r->valuedouble;
	else if (cJSON_IsFalse(r))
		v = 0; /* false: off (no limit, no cutoff) */
	cJSON_Delete(args);
	cJSON_Delete(r);
	return v;
}

cJSON *
practice_registration_json(jx_db *db, int64_t id)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT r.id, r.activity_id, r.student_id, p.name, r.school_id, "
	    "s.name, r.class_id, c.name, r.grade, r.status, CASE WHEN "
	    "r.status = 'waitlisted' THEN (SELECT COUNT(*) FROM "
	    "practice_registrations x WHERE x.activity_id = r.activity_id AND "
	    "x.status = 'waitlisted' AND x.id <= r.id) END, r.registered_by, "
	    "r.registered_role, r.created_at, r.confirmed_at, r.cancelled_at, "
	    "r.cancel_reason, r.checked_in_at, r.checked_in_by, r.record_id, "
	    "a.title, a.starts_at, a.ends_at, a.hours_tenths, a.status, "
	    "b.name FROM practice_registrations r JOIN practice_activities a "
	    "ON a.id = r.activity_id JOIN practice_bases b ON b.id = "
	    "a.base_id JOIN persons p ON p.id = r.student_id LEFT JOIN "
	    "schools s ON s.id = r.school_id LEFT JOIN classes c ON c.id = "
	    "r.class_id WHERE r.id = ?",
	    "i", id);
	cJSON *o = NULL, *a;

	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW) {
		jx_host->db_finish(st);
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)jx_host->db_int(st, 0));
	cJSON_AddNumberToObject(o, "activity_id",
	                        (double)jx_host->db_int(st, 1));
	cJSON_AddNumberToObject(o, "student_id",
	                        (double)jx_host->db_int(st, 2));
	cJSON_AddStringToObject(o, "student_name", jx_host->db_text(st, 3));
	cJSON_AddNumberToObject(o, "school_id", (double)jx_host->db_int(st, 4));
	cJSON_AddStringToObject(
	    o, "school_name",
	    jx_host->db_is_null(st, 5) ? "" : jx_host->db_text(st, 5));
	if (jx_host->db_is_null(st, 6))
		cJSON_AddNullToObject(o, "class_id");
	else
		cJSON_AddNumberToObject(o, "class_id",
		                        (double)jx_host->db_int(st, 6));
	cJSON_AddStringToObject(
	    o, "class_name",
	    jx_host->db_is_null(st, 7) ? "" : jx_host->db_text(st, 7));
	cJSON_AddNumberToObject(o, "grade", (double)jx_host->db_int(st, 8));
	cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 9));
	if (jx_host->db_is_null(st, 10))
		cJSON_AddNullToObject(o, "position");
	else
		cJSON_AddNumberToObject(o, "position",
		                        (double)jx_host->db_int(st, 10));
	cJSON_AddNumberToObject(o, "registered_by",
	                        (double)jx_host->db_int(st, 11));
	cJSON_AddStringToObject(o, "registered_role", jx_host->db_text(st, 12));
	cJSON_AddItemToObject(o, "created_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 13)));
	cJSON_AddItemToObject(o, "confirmed_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 14)));
	cJSON_AddItemToObject(o, "cancelled_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 15)));
	if (jx_host->db_is_null(st, 16))
		cJSON_AddNullToObject(o, "cancel_reason");
	else
		cJSON_AddStringToObject(o, "cancel_reason",
		                        jx_host->db_text(st, 16));
	cJSON_AddItemToObject(o, "checked_in_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 17)));
	if (jx_host->db_is_null(st, 18))
		cJSON_AddNullToObject(o, "checked_in_by");
	else
		cJSON_AddNumberToObject(o, "checked_in_by",
		                        (double)jx_host->db_int(st, 18));
	if (jx_host->db_is_null(st, 19))
		cJSON_AddNullToObject(o, "record_id");
	else
		cJSON_AddNumberToObject(o, "record_id",
		                        (double)jx_host->db_int(st, 19));
	a = cJSON_CreateObject();
	cJSON_AddNumberToObject(a, "id", (double)jx_host->db_int(st, 1));
	cJSON_AddStringToObject(a, "title", jx_host->db_text(st, 20));
	cJSON_AddItemToObject(a, "starts_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 21)));
	cJSON_AddItemToObject(a, "ends_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 22)));
	cJSON_AddNumberToObject(a, "hours",
	                        practice_hours(jx_host->db_int(st, 23)));
	cJSON_AddStringToObject(a, "status", jx_host->db_text(st, 24));
	cJSON_AddStringToObject(a, "base_name", jx_host->db_text(st, 25));
	cJSON_AddItemToObject(o, "activity", a);
	jx_host->db_finish(st);
	return o;
}

/* What registering needs of the activity, read in the transaction. */
struct reg_activity {
	int64_t district, starts, deadline;
	char status[16];
	char title[256];
};

static int
reg_activity_load(jx_db *db, int64_t id, struct reg_activity *a)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT district_id, starts_at, signup_deadline, status, title "
	    "FROM practice_activities WHERE id = ?",
	    "i", id);
	int rc = -1;

	memset(a, 0, sizeof(*a));
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		a->district = jx_host->db_int(st, 0);
		a->starts = jx_host->db_int(st, 1);
		a->deadline = jx_host->db_int(st, 2);
		snprintf(a->status, sizeof(a->status), "%s",
		         jx_host->db_text(st, 3));
		snprintf(a->title, sizeof(a->title), "%s",
		         jx_host->db_text(st, 4));
		rc = 0;
	}
	jx_host->db_finish(st);
	return rc;
}

int
practice_reg_create(jx_req *req, void *ud)
{
	struct practice_who w;
	struct reg_activity act;
	jx_db *db = jx_host->req_db(req);
	int64_t activity = jx_host->req_param_id(req, "id"), student = 0;
	int64_t school = 0, klass = 0, grade = 0, max_open, id, position = 0;
	int64_t now = jx_host->now(), seat;
	const cJSON *sv;
	const char *status;
	cJSON *b, *o, *ev;
	jx_stmt *st;
	int rc;

	(void)ud;
	if (practice_who(req, &w) != 0)
		return jxp_forbidden(jx_host, req);
	/* staff see activities but register nobody (asked first: a 403
	 * that does not depend on the id leaks nothing) */
	if (!w.family)
		return practice_refuse(req, 403, "forbidden",
		                       "practice.err.family_only");
	if (activity <= 0 || reg_activity_load(db, activity, &act) != 0)
		return jxp_not_found(jx_host, req);
	b = jx_host->req_json(req);
	if (b == NULL)
		return jx_host->req_status(req);
	sv = cJSON_GetObjectItemCaseSensitive(b, "student_id");
	if (!cJSON_IsNumber(sv) || sv->valuedouble < 1) {
		practice_bad(req, "student_id", "practice.err.required");
		return practice_invalid(req);
	}
	student = (int64_t)sv->valuedouble;
	/* parent: the acting identity's child; student: self */
	if (student != w.student || !jx_host->may(req, JX_SEE_STUDENT, student))
		return practice_refuse(req, 403, "forbidden",
		                       "practice.err.own_child");
	st = jx_host->db_query(db,
	                       "SELECT s.school_id, s.class_id, c.grade FROM "
	                       "students s LEFT JOIN classes c ON c.id = "
	                       "s.class_id WHERE s.person_id = ? AND s.status "
	                       "= 'in_school'",
	                       "i", student);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		school = jx_host->db_int(st, 0);
		klass = jx_host->db_int(st, 1);
		grade = jx_host->db_int(st, 2);
	}
	jx_host->db_finish(st);
	/* an activity of another district is not there for this family */
	if (act.district != w.district || school <= 0)
		return jxp_not_found(jx_host, req);
	if (grade <= 0 || jxp_one(jx_host, db,
	                          "SELECT 1 FROM practice_activity_grades "
	                          "WHERE activity_id = ? AND grade = ?",
	                          "ii", activity, grade) != 1) {
		practice_bad(req, "student_id", "practice.err.wrong_grade");
		return practice_invalid(req);
	}
	if (strcmp(act.status, "open") != 0)
		return practice_refuse(req, 409, "activity-not-open",
		                       strcmp(act.status, "cancelled") == 0
		                           ? "practice.err.cancelled"
		                           : "practice.err.closed");
	if (now > act.deadline) {
		practice_bad(req, "signup_deadline", "practice.err.deadline");
		return practice_invalid(req);
	}
	/* the rule runs in Lua, before the write lock is taken */
	max_open =
	    reg_rule_number(db, act.district, "practice_max_open", grade, 0);

	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	/* read again under the write lock: a close or a deadline change
	 * committed meanwhile counts */
	if (reg_activity_load(db, activity, &act) != 0)
		goto fail;
	if (strcmp(act.status, "open") != 0 || now > act.deadline) {
		jx_host->db_rollback(db);
		return practice_refuse(req, 409, "activity-not-open",
		                       "practice.err.closed");
	}
	if (jxp_one(jx_host, db,
	            "SELECT 1 FROM practice_registrations WHERE activity_id = "
	            "? AND student_id = ? AND status <> 'cancelled'",
	            "ii", activity, student) == 1) {
		jx_host->db_rollback(db);
		return practice_refuse(req, 409, "already-registered",
		                       "practice.err.already");
	}
	/* on SQLite the transaction holds the write lock, so this count
	 * and the insert below cannot interleave with another; PostgreSQL
	 * (issue 20) needs the student's rows locked first */
	if (max_open > 0 &&
	    jxp_one(jx_host, db,
	            "SELECT COUNT(*) FROM practice_registrations r JOIN "
	            "practice_activities a ON a.id = r.activity_id WHERE "
	            "r.student_id = ? AND r.status IN ('confirmed', "
	            "'waitlisted') AND a.status <> 'cancelled' AND a.ends_at > "
	            "?",
	            "ii", student, now) >= max_open) {
		jx_host->db_rollback(db);
		practice_bad(req, "student_id", "practice.err.max_open");
		return practice_invalid(req);
	}
	/* THE capacity decision: one conditional UPDATE, never a read */
	seat = jx_host->db_exec(db,
	                        "UPDATE practice_activities SET confirmed = "
	                        "confirmed + 1, updated_at = ? WHERE id = ? "
	                        "AND status = 'open' AND confirmed < capacity",
	                        "ii", now, activity);
	if (seat < 0)
		goto fail;
	if (seat == 0 && jx_host->db_exec(db,
	                                  "UPDATE practice_activities SET "
	                                  "waitlisted = waitlisted + 1, "
	                                  "updated_at = ? WHERE id = ? AND "
	                                  "status = 'open'",
	                                  "ii", now, activity) != 1)
		goto fail;
	status = seat == 1 ? "confirmed" : "waitlisted";
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO practice_registrations(activity_id, student_id, "
	    "school_id, class_id, grade, registered_by, registered_role, "
	    "status, created_at, confirmed_at, updated_at) VALUES (?, ?, ?, "
	    "NULLIF(?, 0), ?, ?, ?, ?, ?, CASE WHEN ? = 1 THEN ? END, ?)",
	    "iiiiiissiiii", activity, student, school, klass, grade, w.person,
	    w.id->role, status, now, seat, now, now);
	if (id <= 0) {
		/* the partial unique index: a registration of the same pair
		 * won the race (only on a database without SQLite's one
		 * writer) */
		jx_host->db_rollback(db);
		if (jxp_one(jx_host, db,
		            "SELECT 1 FROM practice_registrations WHERE "
		            "activity_id = ? AND student_id = ? AND status <> "
		            "'cancelled'",
		            "ii", activity, student) == 1)
			return practice_refuse(req, 409, "already-registered",
			                       "practice.err.already");
		return jxp_storage_error(jx_host, req);
	}
	if (seat == 0)
		position =
		    jxp_one(jx_host, db,
		            "SELECT COUNT(*) FROM practice_registrations "
		            "WHERE activity_id = ? AND status = "
		            "'waitlisted' AND id <= ?",
		            "ii", activity, id);
	ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "registration_id", (double)id);
	cJSON_AddNumberToObject(ev, "activity_id", (double)activity);
	cJSON_AddNumberToObject(ev, "student_id", (double)student);
	cJSON_AddNumberToObject(ev, "school_id", (double)school);
	cJSON_AddNumberToObject(ev, "district_id", (double)act.district);
	cJSON_AddStringToObject(ev, "status", status);
	cJSON_AddNumberToObject(ev, "registered_by", (double)w.person);
	cJSON_AddStringToObject(ev, "registered_role", w.id->role);
	rc = jx_host->publish(db, "practice.registered", ev) != 0;
	cJSON_Delete(ev);
	if (rc != 0 || jx_host->db_commit(db) != 0)
		goto fail;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "status", status);
	if (seat == 0)
		cJSON_AddNumberToObject(o, "position", (double)position);
	cJSON_AddNumberToObject(o, "activity_id", (double)activity);
	cJSON_AddNumberToObject(o, "student_id", (double)student);
	return jx_host->reply_json(req, 201, o);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

/* Replies with the page of registrations whose ids st yields (limit + 1
 * rows asked, as jxp_items wants), or a storage error when st is NULL. */
static int
reg_page(jx_req *req, jx_db *db, jx_stmt *st, int64_t limit)
{
	cJSON *items;

	if (st == NULL)
		return jxp_storage_error(jx_host, req);
	items = cJSON_CreateArray();
	while (jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o =
		    practice_registration_json(db, jx_host->db_int(st, 0));

		if (o != NULL)
			cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	return jx_host->reply_json(req, 200, jxp_items(items, limit, "id"));
}

int
practice_reg_mine(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t limit, after;
	jx_stmt *st;

	(void)ud;
	if (practice_who(req, &w) != 0)
		return jxp_forbidden(jx_host, req);
	if (!w.family || w.student <= 0)
		return practice_refuse(req, 403, "forbidden",
		                       "practice.err.family_only");
	jxp_page(jx_host, req, &limit, &after);
	st = jx_host->db_query(db,
	                       "SELECT id FROM practice_registrations WHERE "
	                       "student_id = ? AND id > ? ORDER BY id LIMIT ?",
	                       "iii", w.student, after, limit + 1);
	return reg_page(req, db, st, limit);
}

int
practice_reg_of_activity(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t activity = jx_host->req_param_id(req, "id"), limit, after;
	const char *status = jx_host->req_query(req, "status");
	jx_stmt *st;
	int m;

	(void)ud;
	if (practice_who(req, &w) != 0)
		return jxp_forbidden(jx_host, req);
	m = activity > 0 ? practice_activity_manages(db, &w, activity) : 0;
	if (m < 0)
		return jxp_storage_error(jx_host, req);
	if (m == 0) {
		/* staff of a school of the district see the activity, but
		 * not who registered; everyone else: no such list */
		return jxp_not_found(jx_host, req);
	}
	if (status != NULL && strcmp(status, "confirmed") != 0 &&
	    strcmp(status, "waitlisted") != 0 &&
	    strcmp(status, "cancelled") != 0 &&
	    strcmp(status, "checked_in") != 0) {
		practice_bad(req, "status", "practice.err.status");
		return practice_invalid(req);
	}
	jxp_page(jx_host, req, &limit, &after);
	st = jx_host->db_query(
	    db,
	    "SELECT id FROM practice_registrations WHERE activity_id = ? AND "
	    "(? IS NULL OR status = ?) AND id > ? ORDER BY id LIMIT ?",
	    "issii", activity, status, status, after, limit + 1);
	return reg_page(req, db, st, limit);
}

int
practice_registration_reach(jx_db *db, const struct practice_who *w, int64_t id,
                            int64_t *activity, int64_t *student)
{
	jx_stmt *st = jx_host->db_query(db,
	                                "SELECT activity_id, student_id FROM "
	                                "practice_registrations WHERE id = ?",
	                                "i", id);
	int m;

	*activity = *student = 0;
	if (st == NULL)
		return -1;
	if (jx_host->db_step(st) == JX_DB_ROW) {
		*activity = jx_host->db_int(st, 0);
		*student = jx_host->db_int(st, 1);
	}
	jx_host->db_finish(st);
	if (*activity == 0)
		return 0;
	if (w->family)
		return w->student == *student ? 1 : 0;
	m = practice_activity_manages(db, w, *activity);
	return m < 0 ? -1 : m == 1 ? 2 : 0;
}

int
practice_reg_get(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t id = jx_host->req_param_id(req, "id"), activity, student;
	cJSON *o;

	(void)ud;
	if (practice_who(req, &w) != 0)
		return jxp_forbidden(jx_host, req);
	if (id <= 0 ||
	    practice_registration_reach(db, &w, id, &activity, &student) <= 0 ||
	    (o = practice_registration_json(db, id)) == NULL)
		return jxp_not_found(jx_host, req);
	return jx_host->reply_json(req, 200, o);
}

int
practice_reg_delete(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t id = jx_host->req_param_id(req, "id"), activity, student;
	int64_t now = jx_host->now(), cutoff, starts, district, promoted;
	char was[16] = "", target[64];
	jx_stmt *st;
	cJSON *ev;
	int reach, rc;

	(void)ud;
	if (practice_who(req, &w) != 0)
		return jxp_forbidden(jx_host, req);
	reach = id > 0 ? practice_registration_reach(db, &w, id, &activity,
	                                             &student)
	               : 0;
	if (reach < 0)
		return jxp_storage_error(jx_host, req);
	if (reach == 0)
		return jxp_not_found(jx_host, req);
	st = jx_host->db_query(db,
	                       "SELECT a.starts_at, a.district_id, r.grade "
	                       "FROM practice_activities a JOIN "
	                       "practice_registrations r ON r.activity_id = "
	                       "a.id WHERE r.id = ?",
	                       "i", id);
	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW) {
		jx_host->db_finish(st);
		return jxp_storage_error(jx_host, req);
	}
	starts = jx_host->db_int(st, 0);
	district = jx_host->db_int(st, 1);
	cutoff = jx_host->db_int(st, 2); /* the grade, for the rule */
	jx_host->db_finish(st);
	cutoff = reg_rule_number(db, district, "practice_cancel_cutoff_hours",
	                         cutoff, 24);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	st = jx_host->db_query(db,
	                       "SELECT status FROM practice_registrations "
	                       "WHERE id = ?",
	                       "i", id);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		snprintf(was, sizeof(was), "%s", jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	if (strcmp(was, "confirmed") != 0 && strcmp(was, "waitlisted") != 0) {
		jx_host->db_rollback(db);
		return practice_refuse(req, 409, "not-cancellable",
		                       strcmp(was, "checked_in") == 0
		                           ? "practice.err.checked_in"
		                           : "practice.err.already_cancelled");
	}
	/* a family cannot give up a seat at the last moment (nobody could
	 * take it); leaving the waitlist is always possible; staff can */
	if (reach == 1 && strcmp(was, "confirmed") == 0 &&
	    now > starts - cutoff * 3600) {
		jx_host->db_rollback(db);
		return practice_refuse(req, 409, "cancellation-closed",
		                       "practice.err.cancel_closed");
	}
	if (jx_host->db_exec(db,
	                     "UPDATE practice_registrations SET status = "
	                     "'cancelled', cancelled_at = ?, cancelled_by = ?, "
	                     "cancel_reason = ?, updated_at = ? WHERE id = ? "
	                     "AND status = ?",
	                     "iisiis", now, w.person,
	                     reach == 1 ? "family" : "staff", now, id,
	                     was) != 1)
		goto fail;
	if (jx_host->db_exec(db,
	                     strcmp(was, "confirmed") == 0
	                         ? "UPDATE practice_activities SET confirmed = "
	                           "confirmed - 1, updated_at = ? WHERE id = ?"
	                         : "UPDATE practice_activities SET waitlisted "
	                           "= waitlisted - 1, updated_at = ? WHERE id "
	                           "= ?",
	                     "ii", now, activity) != 1)
		goto fail;
	/* the freed seat goes to the first waitlisted, now */
	promoted =
	    strcmp(was, "confirmed") == 0 ? practice_promote(db, activity) : 0;
	if (promoted < 0)
		goto fail;
	ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "registration_id", (double)id);
	cJSON_AddNumberToObject(ev, "activity_id", (double)activity);
	cJSON_AddNumberToObject(ev, "student_id", (double)student);
	cJSON_AddStringToObject(ev, "was", was);
	cJSON_AddStringToObject(ev, "by", reach == 1 ? "family" : "staff");
	cJSON_AddNumberToObject(ev, "by_person_id", (double)w.person);
	rc = jx_host->publish(db, "practice.cancelled", ev) != 0;
	if (rc == 0 && reach == 2) {
		/* staff cancelled: the family hears of it */
		snprintf(target, sizeof(target), "practice_registration:%lld",
		         (long long)id);
		rc = practice_tell_family(db, student, activity,
		                          "practice_cancelled", id) != 0 ||
		     jx_host->audit(req, "practice.registration_cancelled",
		                    target, ev) != 0;
	}
	cJSON_Delete(ev);
	if (rc != 0 || jx_host->db_commit(db) != 0)
		goto fail;
	return jx_host->reply_json(req, 204, NULL);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}
