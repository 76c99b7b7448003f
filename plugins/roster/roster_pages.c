/*
 * roster_pages.c — the roster pages that have no API twin: the menu's
 * entries (/roster/classes, /roster/students, /roster/teachers), which
 * lead to the acting identity's school or let a district or city admin
 * pick one; the add-student and add-teacher forms; and the add-class
 * form (a plain HTML form: the CSP allows no script).
 */
#include "roster_people.h"

#include <stdio.h>
#include <string.h>

/* The menu's entry for ud ("classes", "students", "teachers"). */
int
pages_roster(jx_req *req, void *ud)
{
	const char *what = ud;
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *d, *list;
	jx_stmt *st;

	if (i == NULL)
		return roster_not_found(req);
	if (i->school_id > 0 && (jxp_role(jx_host, req, "school_admin") ||
	                         jxp_role(jx_host, req, "teacher")))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/schools/%lld/%s",
		                          (long long)i->school_id, what));
	if (!jxp_role(jx_host, req, "district_admin,city_admin"))
		return roster_not_found(req);
	/* Admins above the schools choose one. */
	st = jx_host->db_query(
	    db,
	    "SELECT s.id, s.name, s.code, d.name FROM schools s "
	    "JOIN districts d ON d.id = s.district_id WHERE ? = 0 "
	    "OR s.district_id = ? ORDER BY d.code, s.code",
	    "ii",
	    jxp_role(jx_host, req, "city_admin") ? (int64_t)0 : i->district_id,
	    i->district_id);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "roster.schools.title"));
	cJSON_AddStringToObject(d, "what", what);
	list = cJSON_AddArrayToObject(d, "schools");
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *s = cJSON_CreateObject();

		cJSON_AddNumberToObject(s, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(s, "name", jx_host->db_text(st, 1));
		cJSON_AddStringToObject(s, "code", jx_host->db_text(st, 2));
		cJSON_AddStringToObject(s, "district_name",
		                        jx_host->db_text(st, 3));
		cJSON_AddItemToArray(list, s);
	}
	jx_host->db_finish(st);
	return jx_host->reply_view(req, 200, "roster/schools", d);
}

/* The data of an add form: the school, its classes, values, errors. */
static cJSON *
pages_form_data(jx_req *req, jx_db *db, int64_t school, const char *title_key,
                const cJSON *values, const cJSON *errors)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "title", jx_host->t(req, title_key));
	cJSON_AddNumberToObject(d, "school_id", (double)school);
	cJSON_AddStringToObject(d, "school_name",
	                        people_school_name(req, db, school));
	cJSON_AddItemToObject(d, "classes",
	                      people_class_options(db, school, 0));
	cJSON_AddItemToObject(d, "values",
	                      values ? cJSON_Duplicate(values, 1)
	                             : cJSON_CreateObject());
	cJSON_AddItemToObject(d, "errors",
	                      errors ? cJSON_Duplicate(errors, 1)
	                             : cJSON_CreateArray());
	return d;
}

int
people_new_student_page(jx_req *req, jx_db *db, int64_t school,
                        const cJSON *values, const cJSON *errors, int status)
{
	return jx_host->reply_view(req, status, "roster/student_new",
	                           pages_form_data(req, db, school,
	                                           "roster.student_new.title",
	                                           values, errors));
}

int
people_new_teacher_page(jx_req *req, jx_db *db, int64_t school,
                        const cJSON *values, const cJSON *errors, int status)
{
	return jx_host->reply_view(req, status, "roster/teacher_new",
	                           pages_form_data(req, db, school,
	                                           "roster.teacher_new.title",
	                                           values, errors));
}

/* GET /schools/{sid}/students/new and /teachers/new (ud: which). */
int
pages_new(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid");
	jx_db *db = jx_host->req_db(req);

	{
		int denied = roster_manage(req, sid);

		if (denied != 0)
			return denied;
	}
	if (strcmp(ud, "students") == 0)
		return people_new_student_page(req, db, sid, NULL, NULL, 200);
	return people_new_teacher_page(req, db, sid, NULL, NULL, 200);
}

/* The classes page again, with the form's values and its errors. */
static int
pages_classes_again(jx_req *req, jx_db *db, int64_t school, const cJSON *values,
                    const cJSON *errors, int status)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddItemToObject(d, "values", cJSON_Duplicate(values, 1));
	cJSON_AddItemToObject(d, "errors", cJSON_Duplicate(errors, 1));
	return roster_classes_page(req, db, school, status, d);
}

/* POST /schools/{sid}/classes: the add-class form (grade, name). */
int
pages_class_create(jx_req *req, void *ud)
{
	static const char *const keys[] = {"grade", "name", NULL};
	int64_t sid = jx_host->req_param_id(req, "sid"), id;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	const cJSON *body;
	const char *grade_s, *name;
	int grade;

	(void)ud;
	{
		int denied = roster_manage(req, sid);

		if (denied != 0)
			return denied;
	}
	if ((body = people_body(req, keys)) == NULL)
		return jx_host->req_status(req);
	e.list = cJSON_CreateArray();
	people_defer_json(req, e.list);
	grade_s = people_string(&e, body, "grade", 10, 1);
	grade = roster_parse_grade(grade_s);
	if (grade_s != NULL && grade == 0)
		people_err(&e, "grade",
		           roster_tr(e.req, "年级应为1–12或一年级…高三",
		                     "grade: 1 to 12"));
	name = people_string(&e, body, "name", 20, 1);
	if (e.bad)
		return pages_classes_again(req, db, sid, body, e.list, 422);
	if (roster_class_find(db, sid, grade, name) > 0) {
		people_err(&e, "name",
		           jx_host->sprintf(
		               req,
		               roster_tr(e.req, "%s%s 已存在",
		                         "a class %s%s exists in the grade"),
		               roster_org->grade_label(grade), name));
		return pages_classes_again(req, db, sid, body, e.list, 409);
	}
	if (jx_host->db_begin(db) != 0)
		return roster_storage_error(req);
	id = roster_org->class_create(db, sid, grade, name, 0);
	if (id <= 0 ||
	    jx_host->audit(req, "roster.class_created", name, NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	return jx_host->reply_redirect(
	    req,
	    jx_host->sprintf(req, "/schools/%lld/classes", (long long)sid));
}
