/*
 * roster_departures.c — what a school keeps of the students who left
 * it (table roster_departures): the name and class at leaving, the date
 * and reason, and, once another school re-admits the student, that
 * school as the destination. A school's left list shows from here the
 * students who are no longer its own (transferred out), with nothing
 * the new school adds later. Also the reinstatement of a student who
 * left (POST /students/{id}/reinstate).
 */
#include "roster_people.h"

#include <stdio.h>
#include <string.h>

/* Columns of a departure row as the left list shows it. */
#define DEPARTURE_COLS                                                         \
	"SELECT d.student_id, d.name, d.gender, d.grade, d.class_name, "       \
	"d.left_at, d.reason, d.destination_school_id, sc.name, d.school_id "

int
roster_departure_open(jx_db *db, int64_t student)
{
	/* Called after org->student_leave: the live row holds the class
	 * and the time the host wrote. */
	return jx_host->db_exec(
	           db,
	           "INSERT INTO roster_departures(student_id, school_id, name, "
	           "gender, grade, class_name, class_id, left_at, reason) "
	           "SELECT s.person_id, s.school_id, p.name, p.gender, "
	           "c.grade, "
	           "c.name, s.class_id, COALESCE(s.left_at, 0), s.left_reason "
	           "FROM students s JOIN persons p ON p.id = s.person_id LEFT "
	           "JOIN classes c ON c.id = s.class_id WHERE s.person_id = ? "
	           "AND s.status = 'left'",
	           "i", student) == 1
	           ? 0
	           : -1;
}

int
roster_departure_close(jx_db *db, int64_t student, int64_t school, int64_t now)
{
	/* A student who left before departures were kept has no open row:
	 * write it from the live row first, so the old school keeps them. */
	if (jxp_one(jx_host, db,
	            "SELECT COUNT(*) FROM roster_departures WHERE student_id = "
	            "? AND destination_school_id IS NULL",
	            "i", student) == 0 &&
	    jxp_one(jx_host, db,
	            "SELECT 1 FROM students WHERE person_id = ? AND status = "
	            "'left'",
	            "i", student) == 1 &&
	    roster_departure_open(db, student) != 0)
		return -1;
	return jx_host->db_exec(db,
	                        "UPDATE roster_departures SET "
	                        "destination_school_id = ?, readmitted_at = ? "
	                        "WHERE student_id = ? AND "
	                        "destination_school_id IS NULL",
	                        "iii", school, now, student) < 0
	           ? -1
	           : 0;
}

/* One left-list item from a DEPARTURE_COLS row: what the old school
 * knew, and where the student went. */
static cJSON *
departure_item(jx_stmt *st)
{
	cJSON *o = cJSON_CreateObject(), *to;
	char full[160];

	cJSON_AddNumberToObject(o, "id", (double)jx_host->db_int(st, 0));
	cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
	people_add_text(o, "gender", jx_host->db_text(st, 2));
	if (!jx_host->db_is_null(st, 3) && !jx_host->db_is_null(st, 4)) {
		const char *label =
		    roster_org->grade_label((int)jx_host->db_int(st, 3));

		cJSON_AddNumberToObject(o, "grade",
		                        (double)jx_host->db_int(st, 3));
		snprintf(full, sizeof(full), "%s%s", label ? label : "",
		         jx_host->db_text(st, 4));
		cJSON_AddStringToObject(o, "class_name", full);
	} else {
		cJSON_AddNullToObject(o, "grade");
		cJSON_AddNullToObject(o, "class_name");
	}
	/* The class may be gone or hold others now: no link to it. */
	cJSON_AddNullToObject(o, "class_id");
	cJSON_AddNullToObject(o, "account");
	cJSON_AddStringToObject(o, "status", "left");
	cJSON_AddNullToObject(o, "national_no");
	cJSON_AddNullToObject(o, "city_no");
	cJSON_AddNullToObject(o, "id_number");
	cJSON_AddNumberToObject(o, "school_id", (double)jx_host->db_int(st, 9));
	cJSON_AddArrayToObject(o, "guardians");
	cJSON_AddItemToObject(o, "left_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 5)));
	people_add_text(o, "left_reason", jx_host->db_text(st, 6));
	to = cJSON_AddObjectToObject(o, "transferred_to");
	cJSON_AddNumberToObject(to, "id", (double)jx_host->db_int(st, 7));
	cJSON_AddStringToObject(to, "name", jx_host->db_text(st, 8));
	return o;
}

cJSON *
roster_departures_list(jx_db *db, const struct people_filter *f)
{
	/* The latest departure from this school of each student now on
	 * another school's roll (the old school's view ends there). */
	jx_stmt *st = jx_host->db_query(
	    db,
	    DEPARTURE_COLS
	    "FROM roster_departures d JOIN schools sc ON sc.id = "
	    "d.destination_school_id WHERE d.school_id = ? AND d.student_id "
	    "> ? AND d.destination_school_id <> d.school_id AND d.id = "
	    "(SELECT MAX(d2.id) FROM roster_departures d2 WHERE d2.student_id "
	    "= d.student_id AND d2.school_id = d.school_id) AND NOT EXISTS "
	    "(SELECT 1 FROM students s WHERE s.person_id = d.student_id AND "
	    "s.school_id = d.school_id) AND (? = 0 OR d.class_id = ?) AND (? "
	    "= '' OR d.name LIKE ? ESCAPE '\\') ORDER BY d.student_id LIMIT ?",
	    "iiiissi", f->school, f->after, f->klass, f->klass, f->q,
	    f->contains, f->limit);
	cJSON *items;

	if (st == NULL)
		return NULL;
	items = cJSON_CreateArray();
	while (jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddItemToArray(items, departure_item(st));
	jx_host->db_finish(st);
	return items;
}

cJSON *
roster_departures_merge(cJSON *a, cJSON *b, int64_t limit)
{
	cJSON *out = cJSON_CreateArray();

	/* Both are ordered by id and disjoint (a student is on one roll). */
	while (cJSON_GetArraySize(out) < limit &&
	       (cJSON_GetArraySize(a) > 0 || cJSON_GetArraySize(b) > 0)) {
		cJSON *from = cJSON_GetArraySize(a) == 0 ? b
		              : cJSON_GetArraySize(b) == 0
		                  ? a
		                  : (people_number(a->child, "id") <
		                             people_number(b->child, "id")
		                         ? a
		                         : b);

		cJSON_AddItemToArray(out, cJSON_DetachItemFromArray(from, 0));
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	return out;
}

/* The class a reinstated student goes back to: the form's or body's
 * class_id, else the class they left (when it is still there). 0 after
 * an error. */
static int64_t
reinstate_class(struct people_errs *e, jx_db *db, int64_t school,
                int64_t student, const cJSON *body)
{
	const cJSON *cid = cJSON_GetObjectItemCaseSensitive(body, "class_id");
	int64_t klass;

	if (cid != NULL && !cJSON_IsNull(cid))
		return people_class_of_school(
		    e, db, school,
		    cJSON_IsNumber(cid) ? (int64_t)cid->valuedouble : 0,
		    "class_id");
	klass = jxp_one(jx_host, db,
	                "SELECT c.id FROM students s JOIN classes c ON c.id = "
	                "s.class_id WHERE s.person_id = ? AND c.school_id = ?",
	                "ii", student, school);
	if (klass <= 0)
		people_err(e, "class_id",
		           roster_tr(e->req, "原班级已不存在，请选择班级",
		                     "the former class is gone: choose a "
		                     "class"));
	return klass > 0 ? klass : 0;
}

/* 1 when the caller manages a school the student left (and so may hear
 * why a reinstatement is refused), 0 when not, -1 on error. */
static int
reinstate_former(jx_req *req, jx_db *db, int64_t student)
{
	jx_stmt *st =
	    jx_host->db_query(db,
	                      "SELECT DISTINCT school_id FROM "
	                      "roster_departures WHERE student_id = ?",
	                      "i", student);
	int found = 0;

	if (st == NULL)
		return -1;
	while (!found && jx_host->db_step(st) == JX_DB_ROW)
		found =
		    jx_host->may(req, JX_MANAGE_SCHOOL, jx_host->db_int(st, 0));
	jx_host->db_finish(st);
	return found;
}

static int
reinstate_conflict(jx_req *req, const char *zh, const char *en)
{
	return jx_host->reply_problem(
	    req, 409, "student-in-school",
	    roster_tr(req, "不能恢复在校", "Cannot reinstate"),
	    roster_tr(req, zh, en));
}

int
student_reinstate(jx_req *req, void *ud)
{
	static const char *const keys[] = {"class_id", NULL};
	int64_t id = jx_host->req_param_id(req, "id"), school, klass;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	const cJSON *body = NULL;
	char msg[256] = "";
	int in_school;

	(void)ud;
	school = id > 0 ? jxp_one(jx_host, db,
	                          "SELECT school_id FROM students WHERE "
	                          "person_id = ?",
	                          "i", id)
	                : 0;
	if (school <= 0)
		return roster_not_found(req);
	if (!jx_host->may(req, JX_MANAGE_SCHOOL, school)) {
		int former = reinstate_former(req, db, id);

		if (former < 0)
			return roster_storage_error(req);
		if (former)
			return reinstate_conflict(
			    req, "该学生已转入其他学校，不能在本校恢复在校",
			    "the student has moved on to another school");
		return jx_host->may(req, JX_SEE_STUDENT, id)
		           ? roster_forbidden(req)
		           : roster_not_found(req);
	}
	in_school = jxp_one(jx_host, db,
	                    "SELECT 1 FROM students WHERE person_id = ? AND "
	                    "status = 'in_school'",
	                    "i", id) == 1;
	if (in_school)
		return reinstate_conflict(req, "该学生在读，无需恢复",
		                          "the student is in school");
	/* The body is optional: {} or nothing keeps the former class. */
	if (people_is_api(req)) {
		const char *data;
		size_t len;
		int rc = jx_host->req_body(req, 0, &data, &len);

		if (rc != 0)
			return rc;
		if (len > 0 && (body = people_body(req, keys)) == NULL)
			return jx_host->req_status(req);
	} else if ((body = people_body(req, keys)) == NULL) {
		return jx_host->req_status(req);
	}
	klass = reinstate_class(&e, db, school, id, body);
	if (e.bad)
		return roster_invalid(req, NULL);
	if (jx_host->db_begin(db) != 0)
		return roster_storage_error(req);
	if (roster_departure_close(db, id, school, jx_host->now()) != 0 ||
	    roster_org->student_readmit(db, id, school, klass, msg,
	                                sizeof(msg)) != 0 ||
	    roster_student_changed(db, id) != 0 ||
	    jx_host->audit(req, "roster.student_reinstated",
	                   jx_host->sprintf(req, "%lld", (long long)id),
	                   NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		jx_host->log(JX_LOG_ERROR, "roster", "reinstate %lld: %s",
		             (long long)id, msg);
		return roster_storage_error(req);
	}
	if (!people_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/students/%lld?done=reinstated",
		                          (long long)id));
	{
		cJSON *item = roster_student_json(db, id);

		return item ? jx_host->reply_json(req, 200, item)
		            : roster_storage_error(req);
	}
}
