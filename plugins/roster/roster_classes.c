/*
 * roster_classes.c — classes: list, add (one or a batch, all or
 * nothing), edit, head teacher, delete (refused while students are in
 * the class).
 */
#include "roster_people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t
roster_class_find(jx_db *db, int64_t school, int grade, const char *name)
{
	int64_t id = jxp_one(jx_host, db,
	                     "SELECT id FROM classes WHERE school_id = ? AND "
	                     "grade = ? AND name = ?",
	                     "iis", school, (int64_t)grade, name);

	return id > 0 ? id : 0;
}

cJSON *
roster_classes_list(jx_db *db, int64_t school, int64_t only)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT c.id, c.grade, c.name, c.head_teacher_id, "
	    "COALESCE(t.display_name, p.name), (SELECT COUNT(*) FROM "
	    "students s WHERE s.class_id = c.id AND s.status = 'in_school') "
	    "FROM classes c LEFT JOIN persons p ON p.id = c.head_teacher_id "
	    "LEFT JOIN teachers t ON t.person_id = c.head_teacher_id AND "
	    "t.school_id = c.school_id WHERE c.school_id = ? AND (? = 0 OR "
	    "c.id = ?) ORDER BY c.grade, c.name",
	    "iii", school, only, only);
	cJSON *arr = cJSON_CreateArray();

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddNumberToObject(c, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(c, "grade",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddStringToObject(c, "name", jx_host->db_text(st, 2));
		{
			char full[128];

			snprintf(full, sizeof(full), "%s%s",
			         roster_org->grade_label(
			             (int)jx_host->db_int(st, 1)),
			         jx_host->db_text(st, 2));
			cJSON_AddStringToObject(c, "full_name", full);
		}
		cJSON_AddNumberToObject(c, "student_count",
		                        (double)jx_host->db_int(st, 5));
		if (jx_host->db_is_null(st, 3)) {
			cJSON_AddNullToObject(c, "head_teacher");
		} else {
			cJSON *h = cJSON_AddObjectToObject(c, "head_teacher");

			cJSON_AddNumberToObject(h, "id",
			                        (double)jx_host->db_int(st, 3));
			cJSON_AddStringToObject(h, "name",
			                        jx_host->db_text(st, 4));
		}
		cJSON_AddItemToArray(arr, c);
	}
	jx_host->db_finish(st);
	return arr;
}

/* One class as the API shows it (owned by the caller), or NULL. */
static cJSON *
classes_one(jx_db *db, int64_t school, int64_t id)
{
	cJSON *arr = roster_classes_list(db, school, id);
	cJSON *one = cJSON_DetachItemFromArray(arr, 0);

	cJSON_Delete(arr);
	return one;
}

/* The school's teachers in school, for the head-teacher select:
 * [{"id","name"}] (owned by the caller). */
static cJSON *
classes_teachers(jx_db *db, int64_t school)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT t.person_id, COALESCE(t.display_name, p.name) FROM "
	    "teachers t JOIN persons p ON p.id = t.person_id WHERE "
	    "t.school_id = ? AND t.status = 'in_school' ORDER BY "
	    "COALESCE(t.display_name, p.name), t.person_id",
	    "i", school);
	cJSON *arr = cJSON_CreateArray();

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
		cJSON_AddItemToArray(arr, o);
	}
	jx_host->db_finish(st);
	return arr;
}

int
roster_classes_page(jx_req *req, jx_db *db, int64_t school, int status,
                    cJSON *extra)
{
	cJSON *d = extra ? extra : cJSON_CreateObject();
	int manage = jx_host->may(req, JX_MANAGE_SCHOOL, school);

	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "roster.classes.title"));
	cJSON_AddNumberToObject(d, "school_id", (double)school);
	cJSON_AddBoolToObject(d, "can_manage", manage);
	cJSON_AddItemToObject(d, "classes", roster_classes_list(db, school, 0));
	if (manage)
		cJSON_AddItemToObject(d, "teachers",
		                      classes_teachers(db, school));
	roster_grades_add(db, school, d);
	return jx_host->reply_view(req, status, "roster/classes", d);
}

int
classes_get(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid");
	jx_db *db = jx_host->req_db(req);
	const char *done = jx_host->req_query(req, "done");
	cJSON *d;

	(void)ud;
	if (sid < 0 || !jx_host->may(req, JX_SEE_SCHOOL, sid))
		return roster_not_found(req);
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200,
		                           roster_classes_list(db, sid, 0));
	d = cJSON_CreateObject();
	/* What the last form did (its redirect's ?done=), said once. */
	if (done != NULL &&
	    (strcmp(done, "updated") == 0 || strcmp(done, "deleted") == 0))
		cJSON_AddStringToObject(d, "done", done);
	return roster_classes_page(req, db, sid, 200, d);
}

void
roster_school_grades(jx_db *db, int64_t school, int *lo, int *hi)
{
	static const struct {
		const char *stage;
		int lo, hi;
	} stages[] = {{"primary", 1, 6},
	              {"junior", 7, 9},
	              {"senior", 10, 12},
	              {"nine_year", 1, 9},
	              {"twelve_year", 1, 12}};
	jx_stmt *st = jx_host->db_query(
	    db, "SELECT stage FROM schools WHERE id = ?", "i", school);

	*lo = 1;
	*hi = 12;
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW &&
	    !jx_host->db_is_null(st, 0))
		for (size_t i = 0; i < sizeof(stages) / sizeof(*stages); i++)
			if (strcmp(jx_host->db_text(st, 0), stages[i].stage) ==
			    0) {
				*lo = stages[i].lo;
				*hi = stages[i].hi;
			}
	jx_host->db_finish(st);
}

int
roster_grade_check(jx_db *db, int64_t school, int grade,
                   struct roster_error *err)
{
	int lo, hi;

	roster_school_grades(db, school, &lo, &hi);
	if (grade >= lo && grade <= hi)
		return 0;
	err->field = "grade";
	snprintf(err->message, sizeof(err->message), "本校学段只有%s至%s",
	         roster_org->grade_label(lo), roster_org->grade_label(hi));
	snprintf(err->message_en, sizeof(err->message_en),
	         "this school's grades are %d to %d", lo, hi);
	return -1;
}

const char *
roster_tr(jx_req *req, const char *zh, const char *en)
{
	return req != NULL && strcmp(jx_host->req_lang(req), "en") == 0 ? en
	                                                                : zh;
}

void
roster_grades_add(jx_db *db, int64_t school, cJSON *d)
{
	int lo, hi;

	roster_school_grades(db, school, &lo, &hi);
	cJSON_AddNumberToObject(d, "grade_min", lo);
	cJSON_AddNumberToObject(d, "grade_max", hi);
}

/* The head teacher must teach at the school (an active teacher row). */
static int
classes_head_ok(jx_db *db, int64_t school, int64_t teacher)
{
	return jxp_one(jx_host, db,
	               "SELECT 1 FROM teachers WHERE person_id = ? AND "
	               "school_id = ? AND status = 'in_school'",
	               "ii", teacher, school) == 1;
}

/* Validates one class object; 0 or -1 (errors added, row for batches).
 * With stage, the grade must be one of the school's stage (a class kept
 * from before that rule can still be renamed). */
static int
classes_check(jx_req *req, jx_db *db, int64_t school, const cJSON *c, int row,
              int stage, int *grade, const char **name, int64_t *head)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(c, "grade");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(c, "head_teacher_id");
	int bad = 0;

	*grade =
	    cJSON_IsNumber(g)
	        ? g->valueint
	        : (cJSON_IsString(g) ? roster_parse_grade(g->valuestring) : 0);
	if (*grade < 1 || *grade > 12) {
		jx_host->problem_error(req, row, "grade",
		                       roster_tr(req,
		                                 "年级应为 1–12 或 一年级…高三",
		                                 "grade must be 1 to 12"));
		bad = 1;
	} else if (stage) {
		struct roster_error err = {0};

		/* A junior school has no first grade: its stage decides. */
		if (roster_grade_check(db, school, *grade, &err) != 0) {
			jx_host->problem_error(
			    req, row, "grade",
			    roster_tr(req, err.message, err.message_en));
			bad = 1;
		}
	}
	if (!cJSON_IsString(n) || n->valuestring[0] == '\0' ||
	    strlen(n->valuestring) > 60) {
		jx_host->problem_error(
		    req, row, "name",
		    roster_tr(req, "班级名必填，例如“1班”",
		              "name is required, at most 60 bytes"));
		bad = 1;
	} else
		*name = n->valuestring;
	*head = 0;
	if (cJSON_IsNumber(h)) {
		*head = (int64_t)h->valuedouble;
		if (!classes_head_ok(db, school, *head)) {
			jx_host->problem_error(
			    req, row, "head_teacher_id",
			    roster_tr(req, "班主任须是本校教师",
			              "the head teacher must be a teacher of "
			              "this school"));
			bad = 1;
		}
	} else if (h != NULL && !cJSON_IsNull(h)) {
		jx_host->problem_error(
		    req, row, "head_teacher_id",
		    roster_tr(req, "班主任应为教师的编号",
		              "head_teacher_id must be a teacher's id"));
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int64_t
classes_insert(jx_db *db, int64_t school, int grade, const char *name,
               int64_t head)
{
	return roster_org->class_create(db, school, grade, name, head);
}

static int
classes_conflict(jx_req *req, int row, const char *name)
{
	jx_host->problem_error(
	    req, row, "name",
	    jx_host->sprintf(req,
	                     "a class named %s already exists in this "
	                     "grade",
	                     name));
	return jx_host->reply_problem(
	    req, 409, "conflict", "Class exists",
	    "A class with the same name exists in that "
	    "grade.");
}

int
classes_create(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), head, id;
	jx_db *db = jx_host->req_db(req);
	const char *name = NULL;
	cJSON *body;
	int grade;

	{
		int denied = roster_manage(req, sid);

		if (denied != 0)
			return denied;
	}
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	if (classes_check(req, db, sid, body, 0, 1, &grade, &name, &head) != 0)
		return roster_invalid(req, NULL);
	if (roster_class_find(db, sid, grade, name) > 0)
		return classes_conflict(req, 0, name);
	if (jx_host->db_begin(db) != 0)
		return roster_storage_error(req);
	id = classes_insert(db, sid, grade, name, head);
	if (id <= 0 ||
	    jx_host->audit(req, "roster.class_created", name, NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	return jx_host->reply_json(req, 201, classes_one(db, sid, id));
}

int
classes_batch(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), head, id;
	jx_db *db = jx_host->req_db(req);
	const cJSON *list, *c;
	cJSON *body, *out;
	int row = 0, bad = 0, conflict = 0;

	{
		int denied = roster_manage(req, sid);

		if (denied != 0)
			return denied;
	}
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	list = cJSON_GetObjectItemCaseSensitive(body, "classes");
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0 ||
	    cJSON_GetArraySize(list) > 500) {
		jx_host->problem_error(
		    req, 0, "classes",
		    "classes must be a list of 1 to 500 classes");
		return roster_invalid(req, NULL);
	}
	/* Check everything first: all or nothing. */
	cJSON_ArrayForEach(c, list)
	{
		const char *name = NULL;
		int grade;
		const cJSON *d;

		row++;
		if (classes_check(req, db, sid, c, row, 1, &grade, &name,
		                  &head) != 0) {
			bad = 1;
			continue;
		}
		if (roster_class_find(db, sid, grade, name) > 0) {
			jx_host->problem_error(
			    req, row, "name",
			    "a class with this name exists in this "
			    "grade");
			conflict = 1;
		}
		/* duplicates inside the batch */
		cJSON_ArrayForEach(d, list)
		{
			if (d == c)
				break;
			if (cJSON_IsString(cJSON_GetObjectItem(d, "name")) &&
			    strcmp(cJSON_GetObjectItem(d, "name")->valuestring,
			           name) == 0 &&
			    cJSON_GetObjectItem(d, "grade") != NULL &&
			    cJSON_Compare(cJSON_GetObjectItem(d, "grade"),
			                  cJSON_GetObjectItem(c, "grade"), 1)) {
				jx_host->problem_error(
				    req, row, "name",
				    "the same class appears twice");
				conflict = 1;
			}
		}
	}
	if (bad)
		return roster_invalid(req, NULL);
	if (conflict)
		return jx_host->reply_problem(
		    req, 409, "conflict", "Class exists",
		    "Some classes exist already; nothing "
		    "was added.");
	if (jx_host->db_begin(db) != 0)
		return roster_storage_error(req);
	out = cJSON_CreateArray();
	cJSON_ArrayForEach(c, list)
	{
		const char *name = NULL;
		int grade;

		classes_check(req, db, sid, c, 0, 1, &grade, &name, &head);
		id = classes_insert(db, sid, grade, name, head);
		if (id <= 0) {
			jx_host->db_rollback(db);
			cJSON_Delete(out);
			return roster_storage_error(req);
		}
		cJSON_AddItemToArray(out, classes_one(db, sid, id));
	}
	if (jx_host->audit(req, "roster.classes_created", NULL, NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		cJSON_Delete(out);
		return roster_storage_error(req);
	}
	return jx_host->reply_json(req, 201, out);
}

int
classes_patch(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), school, head;
	jx_db *db = jx_host->req_db(req);
	const cJSON *g, *n, *h;
	cJSON *body, *cur;
	int grade;
	const char *name;

	school = id > 0 ? jxp_one(jx_host, db,
	                          "SELECT school_id FROM classes WHERE id = ?",
	                          "i", id)
	                : 0;
	{
		int denied = roster_manage(req, school);

		if (denied != 0)
			return denied;
	}
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	cur = classes_one(db, school, id);
	/* Merge the patch over the current values, then check the whole. */
	g = cJSON_GetObjectItemCaseSensitive(body, "grade");
	n = cJSON_GetObjectItemCaseSensitive(body, "name");
	h = cJSON_GetObjectItemCaseSensitive(body, "head_teacher_id");
	if (g != NULL)
		cJSON_ReplaceItemInObject(cur, "grade", cJSON_Duplicate(g, 1));
	if (n != NULL)
		cJSON_ReplaceItemInObject(cur, "name", cJSON_Duplicate(n, 1));
	if (h != NULL)
		cJSON_AddItemToObject(cur, "head_teacher_id",
		                      cJSON_Duplicate(h, 1));
	else if (cJSON_IsObject(cJSON_GetObjectItem(cur, "head_teacher")))
		cJSON_AddNumberToObject(
		    cur, "head_teacher_id",
		    cJSON_GetObjectItem(
		        cJSON_GetObjectItem(cur, "head_teacher"), "id")
		        ->valuedouble);
	name = NULL;
	if (classes_check(req, db, school, cur, 0, g != NULL, &grade, &name,
	                  &head) != 0) {
		cJSON_Delete(cur);
		return roster_invalid(req, NULL);
	}
	{
		int64_t other = roster_class_find(db, school, grade, name);

		if (other > 0 && other != id) {
			int rc = classes_conflict(req, 0, name);

			cJSON_Delete(cur);
			return rc;
		}
	}
	if (jx_host->db_begin(db) != 0 ||
	    roster_org->class_update(db, id, grade, name, head) != 0 ||
	    jx_host->audit(req, "roster.class_changed", name, NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		cJSON_Delete(cur);
		return roster_storage_error(req);
	}
	cJSON_Delete(cur);
	return jx_host->reply_json(req, 200, classes_one(db, school, id));
}

/* Why a class with students stays, naming the count. */
static const char *
classes_not_empty(jx_req *req, int64_t n)
{
	return jx_host->sprintf(
	    req,
	    roster_tr(req, "该班还有 %lld 名学生，不能删除",
	              "The class still has %lld students: move them first."),
	    (long long)n);
}

int
classes_delete(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), school, n;
	jx_db *db = jx_host->req_db(req);

	school = id > 0 ? jxp_one(jx_host, db,
	                          "SELECT school_id FROM classes WHERE id = ?",
	                          "i", id)
	                : 0;
	{
		int denied = roster_manage(req, school);

		if (denied != 0)
			return denied;
	}
	n = jxp_one(jx_host, db,
	            "SELECT COUNT(*) FROM students WHERE class_id = ? AND "
	            "status = 'in_school'",
	            "i", id);
	if (n != 0)
		return jx_host->reply_problem(
		    req, 409, "class-not-empty",
		    roster_tr(req, "班级还有学生", "Class has students"),
		    classes_not_empty(req, n));
	/* Students who left keep their records; their class link goes
	 * (the host's class_delete). */
	if (jx_host->db_begin(db) != 0 ||
	    roster_org->class_delete(db, id) != 0 ||
	    jx_host->audit(req, "roster.class_deleted",
	                   jx_host->sprintf(req, "%lld", (long long)id),
	                   NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	return jx_host->reply_json(req, 204, NULL);
}

/* The school of a class, 0 when there is no such class. */
static int64_t
classes_school(jx_db *db, int64_t id)
{
	int64_t school = id > 0 ? jxp_one(jx_host, db,
	                                  "SELECT school_id FROM classes "
	                                  "WHERE id = ?",
	                                  "i", id)
	                        : 0;

	return school > 0 ? school : 0;
}

/* The classes page again after a failed edit or delete of one class:
 * its errors [{field, message}] shown at that class (edit_id). */
static int
classes_page_again(jx_req *req, jx_db *db, int64_t school, int64_t id,
                   const char *which, const cJSON *values, cJSON *errors,
                   int status)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddNumberToObject(d, "failed_id", (double)id);
	cJSON_AddStringToObject(d, "failed", which);
	if (values != NULL)
		cJSON_AddItemToObject(d, "edit_values",
		                      cJSON_Duplicate(values, 1));
	cJSON_AddItemToObject(d, "errors", cJSON_Duplicate(errors, 1));
	return roster_classes_page(req, db, school, status, d);
}

/* POST /classes/{id}: the classes page's edit form (name, head
 * teacher: none when empty). The grade stays: a class moves up a grade
 * through the API's PATCH. */
int
pages_class_update(jx_req *req, void *ud)
{
	static const char *const keys[] = {"name", "head_teacher_id", NULL};
	int64_t id = jx_host->req_param_id(req, "id"), school, head = 0, other;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	const cJSON *body;
	const char *name, *head_s;
	int grade;

	(void)ud;
	school = classes_school(db, id);
	{
		int denied = roster_manage(req, school);

		if (denied != 0)
			return denied;
	}
	if ((body = people_body(req, keys)) == NULL)
		return jx_host->req_status(req);
	e.list = people_defer_json(req, cJSON_CreateArray());
	name = people_string(&e, body, "name", 20, 1);
	head_s = people_string(&e, body, "head_teacher_id", 20, 0);
	if (head_s != NULL) {
		char *end;

		head = strtoll(head_s, &end, 10);
		if (*end || head <= 0 || !classes_head_ok(db, school, head))
			people_err(&e, "head_teacher_id",
			           roster_tr(req, "班主任须是本校教师",
			                     "the head teacher must be a "
			                     "teacher of this school"));
	}
	grade = (int)jxp_one(jx_host, db,
	                     "SELECT grade FROM classes WHERE id = ?", "i", id);
	if (e.bad)
		return classes_page_again(req, db, school, id, "edit", body,
		                          e.list, 422);
	other = roster_class_find(db, school, grade, name);
	if (other > 0 && other != id) {
		people_err(&e, "name",
		           jx_host->sprintf(
		               req,
		               roster_tr(req, "%s%s 已存在",
		                         "a class %s%s exists in the grade"),
		               roster_org->grade_label(grade), name));
		return classes_page_again(req, db, school, id, "edit", body,
		                          e.list, 409);
	}
	if (jx_host->db_begin(db) != 0 ||
	    roster_org->class_update(db, id, grade, name, head) != 0 ||
	    jx_host->audit(req, "roster.class_changed", name, NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	return jx_host->reply_redirect(
	    req, jx_host->sprintf(req, "/schools/%lld/classes?done=updated",
	                          (long long)school));
}

/* POST /classes/{id}/delete: the page's delete button (asked first by
 * its data-confirm); a class with students stays, and the page says so
 * with the count. */
int
pages_class_delete(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), school, n;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	static const char *const keys[] = {NULL};

	(void)ud;
	school = classes_school(db, id);
	{
		int denied = roster_manage(req, school);

		if (denied != 0)
			return denied;
	}
	/* the form carries only its CSRF token */
	if (people_body(req, keys) == NULL)
		return jx_host->req_status(req);
	n = jxp_one(jx_host, db,
	            "SELECT COUNT(*) FROM students WHERE class_id = ? AND "
	            "status = 'in_school'",
	            "i", id);
	if (n < 0)
		return roster_storage_error(req);
	if (n > 0) {
		e.list = people_defer_json(req, cJSON_CreateArray());
		people_err(&e, "students", classes_not_empty(req, n));
		return classes_page_again(req, db, school, id, "delete", NULL,
		                          e.list, 409);
	}
	if (jx_host->db_begin(db) != 0 ||
	    roster_org->class_delete(db, id) != 0 ||
	    jx_host->audit(req, "roster.class_deleted",
	                   jx_host->sprintf(req, "%lld", (long long)id),
	                   NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	return jx_host->reply_redirect(
	    req, jx_host->sprintf(req, "/schools/%lld/classes?done=deleted",
	                          (long long)school));
}
