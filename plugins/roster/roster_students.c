/*
 * roster_students.c — the students of a school, one at a time: the list
 * (search, class and status filters, cursor pages), a student's card
 * with the audited reveal of the ID number, single add, edit and leave
 * (API.md, "Roster"). A new student goes through roster_student_apply
 * like a sheet's row, so the API, the form and the import match and
 * check the city-wide numbers alike.
 */
#include "roster_people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns of a student item, then where they come from. */
#define PEOPLE_STUDENT_COLS                                                    \
	"SELECT s.person_id, p.name, p.gender, c.grade, s.class_id, c.name, "  \
	"a.id, a.login, s.status, s.national_no_masked, s.city_no, "           \
	"s.id_number_masked, s.school_id, s.left_at, s.left_reason "
#define PEOPLE_STUDENT_FROM                                                    \
	"FROM students s JOIN persons p ON p.id = s.person_id LEFT JOIN "      \
	"classes c ON c.id = s.class_id LEFT JOIN host_accounts a ON "         \
	"a.person_id "                                                         \
	"= s.person_id "
/*
 * A page of a school's students. A teacher's scope (the classes they
 * teach or head, in-school students only) is the same rule as the
 * host's JX_SEE_STUDENT, written as a query so a page is one statement.
 * q matches a name or 全国学籍号 anywhere, a login from its start, and
 * an ID number only whole, by its keyed hash.
 */
#define PEOPLE_STUDENT_PAGE                                                    \
	"WHERE s.school_id = ? AND s.person_id > ? AND (? = 0 OR s.class_id "  \
	"= ?) AND (? = '' OR s.status = ?) AND (? = 0 OR (s.status = "         \
	"'in_school' AND s.class_id IN (SELECT tc.class_id FROM teaching tc "  \
	"WHERE tc.teacher_id = ? UNION SELECT hc.id FROM classes hc WHERE "    \
	"hc.head_teacher_id = ?))) AND (? = '' OR s.id_number_hash = ? OR "    \
	"s.national_no_hash = ? OR p.name LIKE ? ESCAPE '\\' OR a.login "      \
	"LIKE ? ESCAPE '\\' OR s.national_no LIKE ? ESCAPE '\\') ORDER BY "    \
	"s.person_id LIMIT ?"
#define PEOPLE_GUARDIAN_COLS                                                   \
	"SELECT g.student_id, g.parent_id, COALESCE(g.display_name, "          \
	"gp.name), gp.phone, g.relation "                                      \
	"FROM guardians g JOIN persons gp ON gp.id = g.parent_id "

/*
 * Whose students the caller sees in a school: -1 none (404), 0 all
 * (the school's admins and above), else the teacher's person id (the
 * classes they teach or head).
 */
static int64_t
people_student_scope(jx_req *req, int64_t school)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return 0;
	if (i != NULL && strcmp(i->role, "teacher") == 0 &&
	    i->school_id == school)
		return i->person_id;
	return -1;
}

/* One student item from a PEOPLE_STUDENT_COLS row, guardians empty. */
static cJSON *
people_student_row(jx_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	int64_t klass = jx_host->db_is_null(st, 4) ? 0 : jx_host->db_int(st, 4);

	cJSON_AddNumberToObject(o, "id", (double)jx_host->db_int(st, 0));
	cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
	people_add_text(o, "gender", jx_host->db_text(st, 2));
	if (klass > 0 && !jx_host->db_is_null(st, 3)) {
		int grade = (int)jx_host->db_int(st, 3);
		const char *label = roster_org->grade_label(grade);
		char full[160];

		cJSON_AddNumberToObject(o, "grade", grade);
		cJSON_AddNumberToObject(o, "class_id", (double)klass);
		snprintf(full, sizeof(full), "%s%s", label ? label : "",
		         jx_host->db_text(st, 5));
		cJSON_AddStringToObject(o, "class_name", full);
	} else {
		cJSON_AddNullToObject(o, "grade");
		cJSON_AddNullToObject(o, "class_id");
		cJSON_AddNullToObject(o, "class_name");
	}
	if (jx_host->db_is_null(st, 6)) {
		cJSON_AddNullToObject(o, "account");
	} else {
		cJSON *a = cJSON_AddObjectToObject(o, "account");

		cJSON_AddNumberToObject(a, "id",
		                        (double)jx_host->db_int(st, 6));
		cJSON_AddStringToObject(a, "login", jx_host->db_text(st, 7));
	}
	cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 8));
	people_add_text(o, "national_no", jx_host->db_text(st, 9));
	people_add_text(o, "city_no", jx_host->db_text(st, 10));
	people_add_text(o, "id_number", jx_host->db_text(st, 11));
	cJSON_AddNumberToObject(o, "school_id",
	                        (double)jx_host->db_int(st, 12));
	cJSON_AddArrayToObject(o, "guardians");
	/* When and why a student who left did so (null while in school). */
	cJSON_AddItemToObject(o, "left_at",
	                      jx_host->db_is_null(st, 13)
	                          ? cJSON_CreateNull()
	                          : jxp_time(jx_host, jx_host->db_int(st, 13)));
	people_add_text(o, "left_reason", jx_host->db_text(st, 14));
	return o;
}

/*
 * Adds the guardians of a PEOPLE_GUARDIAN_COLS query to the items.
 * Both are ordered by student id, so one walk pairs them; guardians of
 * students not in items (the extra row of a page) are skipped.
 */
static int
people_attach_guardians(jx_stmt *st, cJSON *items)
{
	cJSON *item = items ? items->child : NULL;

	if (st == NULL)
		return -1;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t sid = jx_host->db_int(st, 0);
		cJSON *g;

		while (item != NULL && people_number(item, "id") < sid)
			item = item->next;
		if (item == NULL)
			break;
		if (people_number(item, "id") != sid)
			continue;
		g = cJSON_CreateObject();
		cJSON_AddNumberToObject(g, "person_id",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddStringToObject(g, "name", jx_host->db_text(st, 2));
		people_add_text(g, "phone", jx_host->db_text(st, 3));
		people_add_text(g, "relation", jx_host->db_text(st, 4));
		cJSON_AddItemToArray(cJSON_GetObjectItem(item, "guardians"), g);
	}
	jx_host->db_finish(st);
	return 0;
}

/* Runs a statement over PEOPLE_STUDENT_PAGE with the filter's values. */
static jx_stmt *
people_student_query(jx_db *db, const char *sql, const struct people_filter *f)
{
	return jx_host->db_query(db, sql, "iiiissiiissssssi", f->school,
	                         f->after, f->klass, f->klass, f->status,
	                         f->status, f->teacher, f->teacher, f->teacher,
	                         f->q, f->hash, f->national_hash, f->contains,
	                         f->prefix, f->contains, f->limit);
}

/* Up to f->limit students with their guardians, in two statements. */
static cJSON *
people_students(jx_db *db, const struct people_filter *f)
{
	jx_stmt *st = people_student_query(
	    db, PEOPLE_STUDENT_COLS PEOPLE_STUDENT_FROM PEOPLE_STUDENT_PAGE, f);
	cJSON *items;

	if (st == NULL)
		return NULL;
	items = cJSON_CreateArray();
	while (jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddItemToArray(items, people_student_row(st));
	jx_host->db_finish(st);
	if (cJSON_GetArraySize(items) == 0)
		return items;
	if (people_attach_guardians(
	        people_student_query(
	            db,
	            PEOPLE_GUARDIAN_COLS
	            "WHERE g.student_id IN (SELECT "
	            "s.person_id " PEOPLE_STUDENT_FROM PEOPLE_STUDENT_PAGE
	            ") ORDER BY g.student_id, "
	            "g.created_at, g.parent_id",
	            f),
	        items) != 0) {
		cJSON_Delete(items);
		return NULL;
	}
	return items;
}

cJSON *
roster_student_json(jx_db *db, int64_t student)
{
	jx_stmt *st = jx_host->db_query(
	    db, PEOPLE_STUDENT_COLS PEOPLE_STUDENT_FROM "WHERE s.person_id = ?",
	    "i", student);
	cJSON *items, *one;

	if (st == NULL)
		return NULL;
	items = cJSON_CreateArray();
	if (jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddItemToArray(items, people_student_row(st));
	jx_host->db_finish(st);
	if (cJSON_GetArraySize(items) == 0 ||
	    people_attach_guardians(
	        jx_host->db_query(db,
	                          PEOPLE_GUARDIAN_COLS
	                          "WHERE g.student_id = ? ORDER BY "
	                          "g.created_at, g.parent_id",
	                          "i", student),
	        items) != 0) {
		cJSON_Delete(items);
		return NULL;
	}
	one = cJSON_DetachItemFromArray(items, 0);
	cJSON_Delete(items);
	return one;
}

int
students_list(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), scope, limit;
	jx_db *db = jx_host->req_db(req);
	int page = !people_is_api(req);
	struct people_filter f;
	cJSON *items, *out, *filter;

	(void)ud;
	scope = sid > 0 ? people_student_scope(req, sid) : -1;
	if (scope < 0)
		return roster_not_found(req);
	if (people_filter_parse(req, &f, page) != 0)
		return roster_invalid(req, NULL);
	f.school = sid;
	f.teacher = scope;
	limit = f.limit;
	f.limit = limit + 1; /* one more row tells whether a next page exists */
	items = people_students(db, &f);
	if (items == NULL)
		return roster_storage_error(req);
	/* The left list also holds those who went on to another school,
	 * as this school knew them (roster_departures); teachers see only
	 * students in school. A list of every status keeps to the students
	 * on the school's roll. */
	if (f.teacher == 0 && strcmp(f.status, "left") == 0) {
		cJSON *gone = roster_departures_list(db, &f);

		if (gone == NULL) {
			cJSON_Delete(items);
			return roster_storage_error(req);
		}
		items = roster_departures_merge(items, gone, f.limit);
	}
	out = jxp_items(items, limit, "id");
	if (!page)
		return jx_host->reply_json(req, 200, out);
	cJSON_AddStringToObject(out, "title",
	                        jx_host->t(req, "roster.students.title"));
	cJSON_AddNumberToObject(out, "school_id", (double)sid);
	cJSON_AddStringToObject(out, "school_name",
	                        people_school_name(req, db, sid));
	cJSON_AddBoolToObject(out, "can_manage",
	                      jx_host->may(req, JX_MANAGE_SCHOOL, sid));
	cJSON_AddItemToObject(out, "classes",
	                      people_class_options(db, sid, scope));
	filter = cJSON_AddObjectToObject(out, "filter");
	cJSON_AddStringToObject(filter, "q", f.q);
	cJSON_AddNumberToObject(filter, "class_id", (double)f.klass);
	cJSON_AddStringToObject(filter, "status", *f.status ? f.status : "all");
	people_page_links(
	    req, out,
	    jx_host->sprintf(req, "/schools/%lld/students", (long long)sid),
	    &f);
	return jx_host->reply_view(req, 200, "roster/students", out);
}

/* The reveal of ID numbers: school admins (own school), district admins
 * (own district); API.md names no one else. */
static int
people_may_reveal(jx_req *req, int64_t school)
{
	return (jxp_role(jx_host, req, "school_admin") ||
	        jxp_role(jx_host, req, "district_admin")) &&
	       jx_host->may(req, JX_MANAGE_SCHOOL, school);
}

/*
 * ?reveal=id_number&reason=...: puts the clear ID number into item after
 * writing the audit entry (the reason, never the number). Returns 0, or
 * an HTTP status with the error in *msg (and added to the problem).
 */
static int
people_reveal(jx_req *req, jx_db *db, int64_t id, cJSON *item,
              const char *reveal, const char *reason, const char **msg)
{
	cJSON *detail;
	jx_stmt *st;
	char *clear = NULL;
	size_t n;
	int rc, national;

	if (strcmp(reveal, "id_number") != 0 &&
	    strcmp(reveal, "national_no") != 0) {
		*msg = "reveal is id_number or national_no";
		jx_host->problem_error(req, 0, "reveal", *msg);
		return 422;
	}
	if (!people_may_reveal(req, people_number(item, "school_id"))) {
		*msg = jx_host->t(req, "roster.student.reveal_forbidden");
		return 403;
	}
	if (reason == NULL)
		reason = "";
	while (*reason == ' ')
		reason++;
	n = people_utf8_ok(reason) ? people_chars(reason) : 0;
	if (n < 2 || n > 200) {
		*msg = jx_host->t(req, "roster.student.reason_required");
		jx_host->problem_error(req, 0, "reason", *msg);
		return 422;
	}
	detail = cJSON_CreateObject();
	cJSON_AddStringToObject(detail, "reason", reason);
	national = strcmp(reveal, "national_no") == 0;
	rc = jx_host->audit(req,
	                    national ? "roster.national_no_revealed"
	                             : "roster.id_number_revealed",
	                    jx_host->sprintf(req, "%lld", (long long)id),
	                    detail);
	cJSON_Delete(detail);
	if (rc != 0) {
		*msg = "storage";
		return 500;
	}
	/* A 全国学籍号 without an ID number in it is shown as it is. */
	st =
	    jx_host->db_query(db,
	                      national ? "SELECT national_no_enc FROM students "
	                                 "WHERE person_id = ?"
	                               : "SELECT id_number_enc FROM students "
	                                 "WHERE person_id = ?",
	                      "i", id);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW &&
	    !jx_host->db_is_null(st, 0))
		clear = roster_org->id_open(jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	if (clear != NULL) {
		cJSON_ReplaceItemInObject(item, reveal,
		                          cJSON_CreateString(clear));
		/* wipe the copy we own; the reply holds its own */
		memset(clear, 0, strlen(clear));
		free(clear);
	}
	cJSON_AddBoolToObject(
	    item, national ? "national_no_revealed" : "id_number_revealed", 1);
	return 0;
}

/*
 * The student's card page: the item (taken) plus what the page needs.
 * status is the HTTP status (422 after a failed form), errors a list of
 * {"field","message"} (copied) or NULL.
 */
static int
people_student_page(jx_req *req, jx_db *db, cJSON *item, int status,
                    const cJSON *errors)
{
	int64_t school = people_number(item, "school_id");
	int64_t id = people_number(item, "id");
	int in_school = strcmp(cJSON_GetObjectItem(item, "status")->valuestring,
	                       "in_school") == 0;
	const struct jx_identity *i = jx_host->identity(req);
	int64_t teacher = 0;

	if (i != NULL && !jx_host->may(req, JX_MANAGE_SCHOOL, school))
		teacher = i->person_id;
	cJSON_AddStringToObject(item, "title",
	                        cJSON_GetObjectItem(item, "name")->valuestring);
	cJSON_AddStringToObject(item, "school_name",
	                        people_school_name(req, db, school));
	cJSON_AddBoolToObject(item, "can_reveal",
	                      people_may_reveal(req, school));
	{
		/* a 全国学籍号 shown masked embeds an ID number */
		const cJSON *no = cJSON_GetObjectItem(item, "national_no");

		cJSON_AddBoolToObject(item, "national_no_sealed",
		                      cJSON_IsString(no) &&
		                          strchr(no->valuestring, '*') != NULL);
	}
	cJSON_AddBoolToObject(item, "can_list",
	                      people_student_scope(req, school) >= 0);
	cJSON_AddBoolToObject(item, "can_manage",
	                      in_school &&
	                          jx_host->may(req, JX_MANAGE_STUDENT, id));
	cJSON_AddBoolToObject(item, "can_leave",
	                      in_school &&
	                          jx_host->may(req, JX_MANAGE_SCHOOL, school));
	cJSON_AddBoolToObject(item, "saved",
	                      jx_host->req_query(req, "saved") != NULL);
	/* the school's admin resets the account (issue 14) */
	cJSON_AddBoolToObject(item, "can_reset",
	                      in_school && i != NULL &&
	                          strcmp(i->role, "school_admin") == 0 &&
	                          i->school_id == school);
	cJSON_AddBoolToObject(item, "can_reinstate",
	                      !in_school &&
	                          jx_host->may(req, JX_MANAGE_SCHOOL, school));
	{
		/* What the last action did (a redirect's ?done=), said with
		 * the student's name on the page. */
		const char *done = jx_host->req_query(req, "done");

		if (done != NULL &&
		    (strcmp(done, "left") == 0 || strcmp(done, "moved") == 0 ||
		     strcmp(done, "reinstated") == 0))
			cJSON_AddStringToObject(item, "done", done);
	}
	if (jx_host->may(req, JX_MANAGE_SCHOOL, school) && !in_school)
		/* where a reinstated student may go when their class is gone */
		cJSON_AddItemToObject(item, "classes",
		                      people_class_options(db, school, 0));
	if (jx_host->may(req, JX_MANAGE_STUDENT, id) && in_school) {
		/* The classes the student may be moved into: a head teacher
		 * manages only their own. */
		cJSON *opts = people_class_options(db, school, teacher), *c;

		c = opts->child;
		while (c != NULL) {
			cJSON *next = c->next;

			if (!jx_host->may(req, JX_MANAGE_CLASS,
			                  people_number(c, "id")))
				cJSON_Delete(
				    cJSON_DetachItemViaPointer(opts, c));
			c = next;
		}
		cJSON_AddItemToObject(item, "classes", opts);
	}
	if (errors != NULL)
		cJSON_AddItemToObject(item, "errors",
		                      cJSON_Duplicate(errors, 1));
	return jx_host->reply_view(req, status, "roster/student", item);
}

int
student_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	const char *reveal = jx_host->req_query(req, "reveal");
	const char *reason = jx_host->req_query(req, "reason");
	const char *msg = NULL;
	int page = !people_is_api(req), rc = 0;
	cJSON *item;

	(void)ud;
	if (id <= 0 || !jx_host->may(req, JX_SEE_STUDENT, id))
		return roster_not_found(req);
	item = roster_student_json(db, id);
	if (item == NULL)
		return roster_not_found(req);
	if (reveal != NULL && *reveal)
		rc = people_reveal(req, db, id, item, reveal, reason, &msg);
	if (!page) {
		if (rc == 0)
			return jx_host->reply_json(req, 200, item);
		cJSON_Delete(item);
		if (rc == 403)
			return roster_forbidden(req);
		if (rc == 500)
			return roster_storage_error(req);
		return roster_invalid(req, NULL);
	}
	if (rc == 403 || rc == 500) {
		cJSON_Delete(item);
		return rc == 403 ? roster_forbidden(req)
		                 : roster_storage_error(req);
	}
	if (rc != 0) {
		cJSON_AddStringToObject(item, "reveal_error", msg);
		if (reason != NULL)
			cJSON_AddStringToObject(item, "reason", reason);
	}
	return people_student_page(req, db, item, rc ? rc : 200, NULL);
}

/* 全国学籍号 and 市网学籍号: letters, digits, '-' (and '*' of a masked
 * export, which keeps what is stored). */
static const char *
people_number_field(struct people_errs *e, const cJSON *body, const char *name)
{
	const char *v = people_string(e, body, name, 32, 0);

	for (const char *p = v; p != NULL && *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || *p == '-' || *p == '*')) {
			people_err(e, name,
			           roster_tr(e->req, "只能包含字母和数字",
			                     "letters and digits only"));
			return NULL;
		}
	return v;
}

/* The class of a body: class_id, or grade + class (class may carry its
 * grade: 七年级1班). 0 when none is given, -1 after an error. */
static int64_t
people_body_class(struct people_errs *e, jx_db *db, int64_t school,
                  const cJSON *body)
{
	const cJSON *cid = cJSON_GetObjectItemCaseSensitive(body, "class_id");
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(body, "grade");
	const char *cls;
	char name[128];
	int grade = 0, g2 = 0;
	int64_t id;

	if (cid != NULL && !cJSON_IsNull(cid)) {
		id = people_class_of_school(
		    e, db, school,
		    cJSON_IsNumber(cid) ? (int64_t)cid->valuedouble : 0,
		    "class_id");
		return id > 0 ? id : -1;
	}
	cls = people_string(e, body, "class", 60, 0);
	if (g == NULL || cJSON_IsNull(g)) {
		if (cls == NULL)
			return 0;
		if (roster_parse_grade_class(cls, &grade, name, sizeof(name)) !=
		    0) {
			people_err(e, "grade",
			           roster_tr(e->req, "年级缺失",
			                     "grade is required with class"));
			return -1;
		}
		cls = jx_host->strdup(e->req, name);
	} else if (cJSON_IsNumber(g)) {
		if (g->valuedouble >= 1 && g->valuedouble <= 12)
			grade = (int)g->valuedouble;
	} else if (cJSON_IsString(g)) {
		grade = roster_parse_grade(g->valuestring);
	}
	if (grade == 0) {
		people_err(e, "grade",
		           roster_tr(e->req, "年级应为1–12或一年级…高三",
		                     "grade: 1 to 12"));
		return -1;
	}
	if (cls == NULL) {
		people_err(e, "class",
		           roster_tr(e->req, "班级缺失，例如“1班”",
		                     "class is required, e.g. 1班"));
		return -1;
	}
	id = roster_class_find(db, school, grade, cls);
	/* 班级 written with its grade beside a 年级 column: 七年级1班 */
	if (id <= 0 &&
	    roster_parse_grade_class(cls, &g2, name, sizeof(name)) == 0 &&
	    g2 == grade)
		id = roster_class_find(db, school, grade, name);
	if (id <= 0) {
		people_err(
		    e, "class",
		    jx_host->sprintf(
		        e->req,
		        roster_tr(e->req, "班级 %s%s 不存在，请先创建班级",
		                  "no such class: %s%s; create it first"),
		        roster_org->grade_label(grade), cls));
		return -1;
	}
	return id;
}

/* An ID number from a body: normalised, masked (kept as it is: the
 * stored value stays), or NULL. */
static const char *
people_id_number(struct people_errs *e, const cJSON *body)
{
	const char *id = people_string(e, body, "id_number", 40, 0);
	char *norm;

	if (id == NULL || strchr(id, '*') != NULL)
		return id;
	norm = jx_host->alloc(e->req, 20);
	if (roster_id_number(id, norm, 20) != 0) {
		people_err(e, "id_number",
		           "身份证号应为18位：17位数字加1位数字或X (18 "
		           "characters: 17 digits and a digit or X)");
		return NULL;
	}
	if (!roster_id_checksum_ok(norm)) {
		people_err(e, "id_number",
		           roster_tr(e->req, "身份证号校验位不对，请核对",
		                     "the check digit does not match"));
		return NULL;
	}
	return norm;
}

/*
 * A student from a body with the student sheet's English keys. create:
 * name, gender and the class are required. Every problem is reported;
 * e->bad tells.
 */
static void
people_student_parse(struct people_errs *e, jx_db *db, int64_t school,
                     const cJSON *body, int create,
                     struct roster_student_in *in)
{
	static const char *const keys[2][3] = {
	    {"guardian1_name", "guardian1_phone", "guardian1_relation"},
	    {"guardian2_name", "guardian2_phone", "guardian2_relation"}};
	const char *gender;
	int64_t klass;

	memset(in, 0, sizeof(*in));
	in->name = people_string(e, body, "name", ROSTER_MAX_NAME, create);
	gender = people_string(e, body, "gender", 10, create);
	if (gender != NULL && (in->gender = roster_gender(gender)) == NULL)
		people_err(e, "gender",
		           roster_tr(e->req, "性别应为 男 或 女",
		                     "gender: male or female"));
	klass = people_body_class(e, db, school, body);
	if (klass == 0 && create)
		people_err(
		    e, "class",
		    roster_tr(e->req, "年级和班级缺失",
		              "grade and class, or class_id, are required"));
	in->class_id = klass > 0 ? klass : 0;
	if (in->class_id > 0) {
		/* the class by name too, as a sheet row says it */
		jx_stmt *st = jx_host->db_query(
		    db, "SELECT grade, name FROM classes WHERE id = ?", "i",
		    in->class_id);

		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			in->grade = (int)jx_host->db_int(st, 0);
			in->class_name =
			    jx_host->strdup(e->req, jx_host->db_text(st, 1));
		}
		jx_host->db_finish(st);
	}
	in->id_number = people_id_number(e, body);
	in->national_no = people_number_field(e, body, "national_no");
	in->city_no = people_number_field(e, body, "city_no");
	/* A patch leaves the guardians alone (student_patch says so). */
	for (int k = 0; k < 2 && create; k++) {
		struct roster_guardian_in *g = &in->guardians[k];

		g->name =
		    people_string(e, body, keys[k][0], ROSTER_MAX_NAME, 0);
		g->phone = people_string(e, body, keys[k][1], 20, 0);
		g->relation = people_string(e, body, keys[k][2], 20, 0);
		if (g->phone != NULL && !roster_org->phone_valid(g->phone))
			people_err(e, keys[k][1],
			           "手机号应为以1开头的11位数字 (11 digits "
			           "starting with 1)");
		else if (g->phone != NULL && g->name == NULL)
			people_err(
			    e, keys[k][0],
			    roster_tr(e->req, "家长姓名缺失",
			              "the parent's name is required with "
			              "the phone"));
		else if (g->phone == NULL &&
		         (g->name != NULL || g->relation != NULL))
			people_err(e, keys[k][1],
			           roster_tr(e->req, "家长手机号缺失",
			                     "the parent's phone is required"));
	}
	in->nguardians = create ? 2 : 0;
}

const char *const people_student_keys[] = {"name",
                                           "gender",
                                           "grade",
                                           "class",
                                           "class_id",
                                           "id_number",
                                           "national_no",
                                           "city_no",
                                           "guardian1_name",
                                           "guardian1_phone",
                                           "guardian1_relation",
                                           "guardian2_name",
                                           "guardian2_phone",
                                           "guardian2_relation",
                                           NULL};

/* A number that belongs to another student (here, or one in school
 * elsewhere: the message names nothing of that school) is a conflict. */
static int
people_conflict_field(const char *field)
{
	return field != NULL && (strcmp(field, "national_no") == 0 ||
	                         strcmp(field, "id_number") == 0);
}

int
students_create(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), student = 0;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	struct roster_student_in in;
	struct roster_error err;
	const cJSON *body;
	cJSON *item;
	int rc;

	(void)ud;
	{
		int denied = roster_manage(req, sid);

		if (denied != 0)
			return denied;
	}
	if ((body = people_body(req, people_student_keys)) == NULL)
		return jx_host->req_status(req);
	if (!people_is_api(req)) {
		e.list = cJSON_CreateArray();
		people_defer_json(req, e.list);
	}
	people_student_parse(&e, db, sid, body, 1, &in);
	if (e.bad)
		return people_write_failed(req, &e, 0, people_new_student_page,
		                           sid, body);
	/* Adding a student who is already in school here is a conflict,
	 * never a silent edit of them (PATCH edits); numbers of a student
	 * who left, here or elsewhere, re-admit them. */
	{
		const char *field = NULL;
		char hash[65];

		struct roster_national nat;

		if (roster_national_prepare(in.national_no, &nat) == 0 &&
		    nat.norm[0] &&
		    jxp_one(jx_host, db,
		            "SELECT 1 FROM students WHERE national_no_hash = ? "
		            "AND school_id = ? AND status = 'in_school'",
		            "si", nat.hash, sid) == 1)
			field = "national_no";
		roster_national_free(&nat);
		if (field == NULL && in.id_number != NULL &&
		    strchr(in.id_number, '*') == NULL) {
			roster_org->lookup_hash(in.id_number, hash);
			if (jxp_one(
			        jx_host, db,
			        "SELECT 1 FROM students WHERE id_number_hash "
			        "= ? AND school_id = ? AND status = "
			        "'in_school'",
			        "si", hash, sid) == 1)
				field = "id_number";
		}
		if (field != NULL) {
			people_err(
			    &e, field,
			    roster_tr(e.req, "该学生已在本校在读",
			              "the student is already in this school; "
			              "edit them instead"));
			return people_write_failed(
			    req, &e, 1, people_new_student_page, sid, body);
		}
	}
	if (jx_host->db_begin(db) != 0)
		return roster_storage_error(req);
	rc = roster_student_apply(db, sid, &in, &student, &err);
	if (rc < 0) {
		jx_host->db_rollback(db);
		if (err.field == NULL) {
			jx_host->log(JX_LOG_ERROR, "roster", "student: %s",
			             err.message_en);
			return roster_storage_error(req);
		}
		people_err(&e, err.field,
		           roster_tr(req, err.message, err.message_en));
		return people_write_failed(req, &e,
		                           people_conflict_field(err.field),
		                           people_new_student_page, sid, body);
	}
	if ((rc != ROSTER_UNCHANGED &&
	     jx_host->audit(req,
	                    rc == ROSTER_CREATED ? "roster.student_created"
	                                         : "roster.student_updated",
	                    jx_host->sprintf(req, "%lld", (long long)student),
	                    NULL) != 0) ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	if (!people_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/students/%lld?saved=1",
		                          (long long)student));
	item = roster_student_json(db, student);
	if (item == NULL)
		return roster_storage_error(req);
	return jx_host->reply_json(req, rc == ROSTER_CREATED ? 201 : 200, item);
}

/* The card again with the errors of a failed edit. */
static int
people_card_again(jx_req *req, jx_db *db, int64_t student, const cJSON *values,
                  const cJSON *errors, int status)
{
	cJSON *item = roster_student_json(db, student);

	if (item == NULL)
		return roster_not_found(req);
	cJSON_AddItemToObject(item, "values", cJSON_Duplicate(values, 1));
	return people_student_page(req, db, item, status, errors);
}

/* Another student holding this number (the 全国学籍号's or the ID
 * number's hash): 1 after adding the error (which says neither who nor where),
 * 0 when free, -1 when the database failed. */
static int
people_taken(struct people_errs *e, jx_db *db, int64_t student,
             const char *column, const char *value, const char *field)
{
	int64_t other = jxp_one(
	    jx_host, db,
	    strcmp(column, "national_no_hash") == 0
	        ? "SELECT person_id FROM students WHERE national_no_hash = "
	          "? AND person_id <> ?"
	        : "SELECT person_id FROM students WHERE id_number_hash "
	          "= ? AND person_id <> ?",
	    "si", value, student);

	if (other > 0)
		people_err(e, field,
		           roster_tr(e->req, "已属于另一名学生",
		                     "this number belongs to another student"));
	return other > 0 ? 1 : (int)other;
}

/*
 * PATCH: the fields given change, the rest stay. This writes the row
 * itself instead of going through roster_student_apply: apply finds its
 * student by the numbers and name+class a row gives, so a patch that
 * changes those (the class move, a corrected number) would find nobody,
 * or another student, where a patch must change exactly this one.
 */
int
student_patch(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), school, klass;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	struct roster_student_in in;
	char hash[65] = "", masked[40] = "", *sealed = NULL;
	struct roster_national nat = {0};
	const char *status;
	const cJSON *body, *k;
	cJSON *cur, *fields, *list;
	int conflict = 0;

	(void)ud;
	if (id <= 0 || !jx_host->may(req, JX_SEE_STUDENT, id) ||
	    (cur = roster_student_json(db, id)) == NULL)
		return roster_not_found(req);
	people_defer_json(req, cur);
	if (!jx_host->may(req, JX_MANAGE_STUDENT, id))
		return roster_forbidden(req);
	school = people_number(cur, "school_id");
	klass = people_number(cur, "class_id");
	status = cJSON_GetObjectItem(cur, "status")->valuestring;
	if (strcmp(status, "in_school") != 0)
		return jx_host->reply_problem(
		    req, 409, "student-left", "Student has left",
		    "The student has left school: add them "
		    "again to re-admit them.");
	if ((body = people_body(req, people_student_keys)) == NULL)
		return jx_host->req_status(req);
	if (!people_is_api(req)) {
		e.list = cJSON_CreateArray();
		people_defer_json(req, e.list);
	}
	people_student_parse(&e, db, school, body, 0, &in);
	/* Guardians change through adding the student again or the
	 * parents import, which match parents by phone. */
	for (const char *const *key = people_student_keys; *key; key++)
		if (strncmp(*key, "guardian", 8) == 0 &&
		    cJSON_GetObjectItemCaseSensitive(body, *key) != NULL) {
			people_err(
			    &e, *key,
			    roster_tr(e.req, "家长请通过添加学生或家长导入修改",
			              "guardians change through adding the "
			              "student or the parents import"));
			break;
		}
	/* A head teacher moves students only into a class they manage. */
	if (!e.bad && in.class_id > 0 && in.class_id != klass &&
	    !jx_host->may(req, JX_MANAGE_CLASS, in.class_id))
		return roster_forbidden(req);
	if (!e.bad && roster_national_prepare(in.national_no, &nat) != 0) {
		roster_national_free(&nat);
		return roster_storage_error(req);
	}
	if (!e.bad && nat.norm[0])
		conflict = people_taken(&e, db, id, "national_no_hash",
		                        nat.hash, "national_no");
	if (!e.bad && conflict == 0 && in.id_number &&
	    !strchr(in.id_number, '*')) {
		roster_org->lookup_hash(in.id_number, hash);
		conflict = people_taken(&e, db, id, "id_number_hash", hash,
		                        "id_number");
	}
	if (conflict < 0 || e.bad) {
		roster_national_free(&nat);
		return conflict < 0
		           ? roster_storage_error(req)
		           : people_write_failed(req, &e, conflict,
		                                 people_card_again, id, body);
	}
	if (hash[0] && roster_org->id_seal(in.id_number, &sealed, hash, masked,
	                                   sizeof(masked)) != 0) {
		roster_national_free(&nat);
		return roster_storage_error(req);
	}
	/* The audit names the fields changed, never their values. */
	fields = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(fields, "fields");
	for (const char *const *key = people_student_keys; *key; key++)
		if ((k = cJSON_GetObjectItemCaseSensitive(body, *key)) &&
		    !cJSON_IsNull(k))
			cJSON_AddItemToArray(list, cJSON_CreateString(*key));
	if (jx_host->db_begin(db) != 0 ||
	    roster_org->student_update(
	        db, id,
	        &(struct jx_org_student){
	            .size = sizeof(struct jx_org_student),
	            .name = in.name,
	            .gender = in.gender,
	            .klass = in.class_id,
	            .city_no = in.city_no && !strchr(in.city_no, '*')
	                           ? in.city_no
	                           : NULL,
	            .id_enc = sealed,
	            .id_hash = hash[0] ? hash : NULL,
	            .id_masked = masked[0] ? masked : NULL,
	        }) != 0 ||
	    (nat.norm[0] && roster_national_write(db, id, &nat) != 0) ||
	    roster_student_changed(db, id) != 0 ||
	    (cJSON_GetArraySize(list) > 0 &&
	     jx_host->audit(req, "roster.student_changed",
	                    jx_host->sprintf(req, "%lld", (long long)id),
	                    fields) != 0) ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		free(sealed);
		roster_national_free(&nat);
		cJSON_Delete(fields);
		return roster_storage_error(req);
	}
	free(sealed);
	roster_national_free(&nat);
	cJSON_Delete(fields);
	if (!people_is_api(req))
		return jx_host->reply_redirect(
		    req,
		    jx_host->sprintf(req, "/students/%lld?%s", (long long)id,
		                     in.class_id > 0 && in.class_id != klass
		                         ? "done=moved"
		                         : "saved=1"));
	cur = roster_student_json(db, id);
	return cur ? jx_host->reply_json(req, 200, cur)
	           : roster_storage_error(req);
}

/* The reason of a leave: the JSON body's (which may be absent) or the
 * form's. 0, or the status replied with. */
static int
people_leave_reason(jx_req *req, struct people_errs *e, const char **reason)
{
	static const char *const keys[] = {"reason", NULL};
	const cJSON *body;
	const char *data;
	size_t len;
	int rc;

	*reason = NULL;
	if (people_is_api(req)) {
		if ((rc = jx_host->req_body(req, 0, &data, &len)) != 0)
			return rc;
		if (len == 0)
			return 0;
	}
	if ((body = people_body(req, keys)) == NULL)
		return jx_host->req_status(req);
	*reason = people_string(e, body, "reason", 200, 0);
	return 0;
}

int
student_leave(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), school;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	const char *reason;
	cJSON *detail;
	int rc, in_school;

	(void)ud;
	if (id <= 0 || !jx_host->may(req, JX_SEE_STUDENT, id))
		return roster_not_found(req);
	school = jxp_one(jx_host, db,
	                 "SELECT school_id FROM students WHERE person_id = ?",
	                 "i", id);
	if (school <= 0)
		return roster_not_found(req);
	if (!jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return roster_forbidden(req);
	if ((rc = people_leave_reason(req, &e, &reason)) != 0)
		return rc;
	if (e.bad)
		return roster_invalid(req, NULL);
	in_school = jxp_one(jx_host, db,
	                    "SELECT 1 FROM students WHERE person_id = ? AND "
	                    "status = 'in_school'",
	                    "i", id) == 1;
	if (!in_school)
		return jx_host->reply_problem(
		    req, 409, "student-left", "Student has left",
		    "The student has already left school.");
	detail = cJSON_CreateObject();
	if (reason != NULL)
		cJSON_AddStringToObject(detail, "reason", reason);
	if (jx_host->db_begin(db) != 0 ||
	    roster_student_leave(db, id, reason) != 0 ||
	    jx_host->audit(req, "roster.student_left",
	                   jx_host->sprintf(req, "%lld", (long long)id),
	                   detail) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		cJSON_Delete(detail);
		return roster_storage_error(req);
	}
	cJSON_Delete(detail);
	if (!people_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/students/%lld?done=left",
		                          (long long)id));
	return jx_host->reply_json(req, 204, NULL);
}
