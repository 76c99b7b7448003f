/*
 * roster_teachers.c — the teachers of a school: the list with the
 * classes each teaches and heads, single add or update by phone (one
 * phone is one person and one account, so a parent who teaches keeps
 * one login), and leaving a school (API.md, "Roster").
 */
#include "roster_people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A teacher who also belongs elsewhere shows as this school named them
 * (t.display_name), without the record's gender (roster_apply.c). */
#define PEOPLE_TEACHER_COLS                                                    \
	"SELECT t.person_id, COALESCE(t.display_name, p.name), p.phone, CASE " \
	"WHEN t.display_name IS NULL THEN p.gender END, t.subject, a.id, "     \
	"a.login, t.status "
#define PEOPLE_TEACHER_FROM                                                    \
	"FROM teachers t JOIN persons p ON p.id = t.person_id LEFT JOIN "      \
	"host_accounts a ON a.person_id = t.person_id "
#define PEOPLE_TEACHER_PAGE                                                    \
	"WHERE t.school_id = ? AND (? = 0 OR t.person_id = ?) AND "            \
	"t.person_id > ? AND (? = '' OR t.status = ?) AND (? = '' OR "         \
	"COALESCE(t.display_name, p.name) LIKE ? ESCAPE '\\' OR p.phone LIKE " \
	"? ESCAPE '\\') AND (? = 0 OR "                                        \
	"t.person_id IN (SELECT teacher_id FROM teaching WHERE class_id = ?) " \
	"OR t.person_id = (SELECT head_teacher_id FROM classes WHERE id = "    \
	"?)) ORDER BY t.person_id LIMIT ?"
/* The classes each teacher of a page teaches (head = 0) or heads. */
#define PEOPLE_TEACHER_CLASSES                                                 \
	"SELECT x.teacher_id, x.class_id, x.head FROM (SELECT tg.teacher_id, " \
	"tg.class_id, 0 AS head, c.grade, c.name FROM teaching tg JOIN "       \
	"classes c ON c.id = tg.class_id WHERE c.school_id = ? UNION ALL "     \
	"SELECT c.head_teacher_id, c.id, 1, c.grade, c.name FROM classes c "   \
	"WHERE c.school_id = ? AND c.head_teacher_id IS NOT NULL) x WHERE "    \
	"x.teacher_id IN (SELECT t.person_id " PEOPLE_TEACHER_FROM             \
	    PEOPLE_TEACHER_PAGE ") ORDER BY x.teacher_id, x.grade, x.name"

/* The school's teacher list: its admins and its teachers. */
static int
people_may_see_teachers(jx_req *req, int64_t school)
{
	const struct jx_identity *i = jx_host->identity(req);

	return jx_host->may(req, JX_MANAGE_SCHOOL, school) ||
	       (i != NULL && strcmp(i->role, "teacher") == 0 &&
	        i->school_id == school);
}

static jx_stmt *
people_teacher_query(jx_db *db, const char *sql, const struct people_filter *f,
                     int with_classes)
{
	if (with_classes)
		return jx_host->db_query(db, sql, "iiiiiisssssiiii", f->school,
		                         f->school, f->school, f->only, f->only,
		                         f->after, f->status, f->status, f->q,
		                         f->contains, f->prefix, f->klass,
		                         f->klass, f->klass, f->limit);
	return jx_host->db_query(db, sql, "iiiisssssiiii", f->school, f->only,
	                         f->only, f->after, f->status, f->status, f->q,
	                         f->contains, f->prefix, f->klass, f->klass,
	                         f->klass, f->limit);
}

static cJSON *
people_teacher_row(jx_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)jx_host->db_int(st, 0));
	cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
	people_add_text(o, "phone", jx_host->db_text(st, 2));
	people_add_text(o, "gender", jx_host->db_text(st, 3));
	people_add_text(o, "subject", jx_host->db_text(st, 4));
	if (jx_host->db_is_null(st, 5)) {
		cJSON_AddNullToObject(o, "account");
	} else {
		cJSON *a = cJSON_AddObjectToObject(o, "account");

		cJSON_AddNumberToObject(a, "id",
		                        (double)jx_host->db_int(st, 5));
		cJSON_AddStringToObject(a, "login", jx_host->db_text(st, 6));
	}
	cJSON_AddArrayToObject(o, "class_ids");
	cJSON_AddArrayToObject(o, "head_of_class_ids");
	cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 7));
	return o;
}

/* Each teacher's "activation" (API.md additions, issue 14): "active",
 * "pending" or "expired", null without an account. After the list's
 * statements are finished: the org service uses the same connection. */
static void
people_teachers_activation(jx_db *db, cJSON *items)
{
	cJSON *o;

	cJSON_ArrayForEach(o, items)
	{
		const cJSON *a = cJSON_GetObjectItem(o, "account");
		const char *state =
		    cJSON_IsObject(a)
		        ? roster_activation(db, people_number(a, "id"))
		        : NULL;

		people_add_text(o, "activation", state);
	}
}

/* Up to f->limit teachers of f->school with their classes, in two
 * statements. */
static cJSON *
people_teachers(jx_db *db, const struct people_filter *f)
{
	jx_stmt *st = people_teacher_query(
	    db, PEOPLE_TEACHER_COLS PEOPLE_TEACHER_FROM PEOPLE_TEACHER_PAGE, f,
	    0);
	cJSON *items, *item;

	if (st == NULL)
		return NULL;
	items = cJSON_CreateArray();
	while (jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddItemToArray(items, people_teacher_row(st));
	jx_host->db_finish(st);
	if (cJSON_GetArraySize(items) == 0)
		return items;
	st = people_teacher_query(db, PEOPLE_TEACHER_CLASSES, f, 1);
	if (st == NULL) {
		cJSON_Delete(items);
		return NULL;
	}
	item = items->child;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t tid = jx_host->db_int(st, 0);

		while (item != NULL && people_number(item, "id") < tid)
			item = item->next;
		if (item == NULL)
			break;
		if (people_number(item, "id") != tid)
			continue;
		cJSON_AddItemToArray(
		    cJSON_GetObjectItem(item, jx_host->db_int(st, 2)
		                                  ? "head_of_class_ids"
		                                  : "class_ids"),
		    cJSON_CreateNumber((double)jx_host->db_int(st, 1)));
	}
	jx_host->db_finish(st);
	people_teachers_activation(db, items);
	return items;
}

/* One teacher of a school as the API shows them (owned), or NULL. */
static cJSON *
people_teacher_json(jx_db *db, int64_t school, int64_t teacher)
{
	struct people_filter f;
	cJSON *items, *one;

	memset(&f, 0, sizeof(f));
	f.school = school;
	f.only = teacher;
	f.limit = 1;
	f.status = f.q = "";
	f.contains = f.prefix = "%";
	items = people_teachers(db, &f);
	one = cJSON_DetachItemFromArray(items, 0);
	cJSON_Delete(items);
	return one;
}

/* For the page: whether the district can send activation texts, and
 * per teacher whether this school may reset the account (every tie of
 * the person is within it, as the reset's scope asks). */
static void
people_teachers_page_accounts(jx_req *req, jx_db *db, int64_t school,
                              cJSON *out)
{
	const struct jx_identity *i = jx_host->identity(req);
	int admin = i != NULL && strcmp(i->role, "school_admin") == 0 &&
	            i->school_id == school;
	cJSON *o;

	cJSON_AddBoolToObject(out, "sms_gateway",
	                      roster_sms_gateway(db, school));
	cJSON_AddBoolToObject(out, "can_reset", admin);
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(out, "items"))
	    cJSON_AddBoolToObject(
	        o, "resettable",
	        admin && cJSON_IsObject(cJSON_GetObjectItem(o, "account")) &&
	            roster_org->person_within(db, people_number(o, "id"),
	                                      school));
}

int
teachers_list(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), limit;
	jx_db *db = jx_host->req_db(req);
	int page = !people_is_api(req);
	struct people_filter f;
	cJSON *items, *out, *filter;

	(void)ud;
	if (sid <= 0 || !people_may_see_teachers(req, sid))
		return roster_not_found(req);
	if (people_filter_parse(req, &f, page) != 0)
		return roster_invalid(req, NULL);
	f.school = sid;
	limit = f.limit;
	f.limit = limit + 1;
	items = people_teachers(db, &f);
	if (items == NULL)
		return roster_storage_error(req);
	out = jxp_items(items, limit, "id");
	if (!page)
		return jx_host->reply_json(req, 200, out);
	cJSON_AddStringToObject(out, "title",
	                        jx_host->t(req, "roster.teachers.title"));
	cJSON_AddNumberToObject(out, "school_id", (double)sid);
	cJSON_AddStringToObject(out, "school_name",
	                        people_school_name(req, db, sid));
	cJSON_AddBoolToObject(out, "can_manage",
	                      jx_host->may(req, JX_MANAGE_SCHOOL, sid));
	cJSON_AddBoolToObject(out, "saved",
	                      jx_host->req_query(req, "saved") != NULL);
	cJSON_AddItemToObject(out, "classes", people_class_options(db, sid, 0));
	people_teachers_page_accounts(req, db, sid, out);
	filter = cJSON_AddObjectToObject(out, "filter");
	cJSON_AddStringToObject(filter, "q", f.q);
	cJSON_AddStringToObject(filter, "status", *f.status ? f.status : "all");
	f.klass = 0;
	people_page_links(
	    req, out,
	    jx_host->sprintf(req, "/schools/%lld/teachers", (long long)sid),
	    &f);
	return jx_host->reply_view(req, 200, "roster/teachers", out);
}

/*
 * Classes of a teacher body: ids_key (a list of ids) or names_key (the
 * teacher sheet's text, "七年级1班;初一(2)班"). *n = -1 when neither is
 * given (keep what is stored).
 */
static const int64_t *
people_class_list(struct people_errs *e, jx_db *db, int64_t school,
                  const cJSON *body, const char *ids_key, const char *names_key,
                  int *n)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(body, ids_key);
	const char *names = people_string(e, body, names_key, 2000, 0);
	int64_t *out = jx_host->alloc(e->req, 200 * sizeof(*out));
	const cJSON *v;

	*n = 0;
	if (ids != NULL && !cJSON_IsNull(ids)) {
		if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) > 200) {
			people_err(e, ids_key,
			           "a list of at most 200 class ids");
			return NULL;
		}
		cJSON_ArrayForEach(v, ids)
		{
			/* converting 1e300 to an integer is undefined */
			int64_t id =
			    cJSON_IsNumber(v) && v->valuedouble >= 1 &&
			            v->valuedouble <= 9007199254740991.0
			        ? (int64_t)v->valuedouble
			        : 0;
			int dup = 0;

			if (people_class_of_school(e, db, school, id,
			                           ids_key) == 0)
				continue;
			for (int i = 0; i < *n; i++)
				dup |= out[i] == id;
			if (!dup)
				out[(*n)++] = id;
		}
		return out;
	}
	if (names == NULL) {
		*n = -1;
		return NULL;
	}
	{
		/* the sheet's separators, full-width ones too */
		static const char *const wide[] = {"；", "，", "、", NULL};
		char *text = jx_host->strdup(e->req, names), *p, *save = NULL;

		for (int w = 0; wide[w] != NULL; w++)
			while ((p = strstr(text, wide[w])) != NULL)
				memcpy(p, ";;;", strlen(wide[w]));
		for (p = strtok_r(text, "; ,", &save); p != NULL;
		     p = strtok_r(NULL, "; ,", &save)) {
			char name[128];
			int grade = 0, dup = 0;
			int64_t id = 0;

			if (roster_parse_grade_class(p, &grade, name,
			                             sizeof(name)) == 0)
				id = roster_class_find(db, school, grade, name);
			if (id <= 0) {
				people_err(
				    e, names_key,
				    jx_host->sprintf(
				        e->req,
				        roster_tr(e->req, "班级 %s 不存在",
				                  "no such class: %s"),
				        p));
				continue;
			}
			for (int i = 0; i < *n; i++)
				dup |= out[i] == id;
			if (!dup && *n < 200)
				out[(*n)++] = id;
		}
	}
	return out;
}

const char *const people_teacher_keys[] = {
    "name", "phone", "gender", "subject", "classes", "head_of_class", NULL};

static void
people_teacher_parse(struct people_errs *e, jx_db *db, int64_t school,
                     const cJSON *body, struct roster_teacher_in *in)
{
	const char *gender;
	int n;

	memset(in, 0, sizeof(*in));
	in->name = people_string(e, body, "name", ROSTER_MAX_NAME, 1);
	in->phone = people_string(e, body, "phone", 20, 1);
	if (in->phone != NULL && !roster_org->phone_valid(in->phone))
		people_err(e, "phone",
		           "手机号应为以1开头的11位数字 (11 digits starting "
		           "with 1)");
	gender = people_string(e, body, "gender", 10, 0);
	if (gender != NULL && (in->gender = roster_gender(gender)) == NULL)
		people_err(e, "gender",
		           roster_tr(e->req, "性别应为 男 或 女",
		                     "gender: male or female"));
	in->subject = people_string(e, body, "subject", 30, 0);
	in->class_ids =
	    people_class_list(e, db, school, body, "class_ids", "classes", &n);
	in->nclass_ids = n > 0 ? n : 0;
	if (n < 0)
		in->class_ids = NULL;
	in->head_of_class_ids = people_class_list(
	    e, db, school, body, "head_of_class_ids", "head_of_class", &n);
	in->nhead_of_class_ids = n > 0 ? n : 0;
	if (n < 0)
		in->head_of_class_ids = NULL;
}

int
teachers_create(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), teacher = 0;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	struct roster_teacher_in in;
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
	if ((body = people_body(req, people_teacher_keys)) == NULL)
		return jx_host->req_status(req);
	if (!people_is_api(req)) {
		e.list = cJSON_CreateArray();
		people_defer_json(req, e.list);
	}
	people_teacher_parse(&e, db, sid, body, &in);
	if (e.bad)
		return people_write_failed(req, &e, 0, people_new_teacher_page,
		                           sid, body);
	if (jx_host->db_begin(db) != 0)
		return roster_storage_error(req);
	rc = roster_teacher_apply(db, sid, &in, &teacher, &err);
	if (rc < 0) {
		jx_host->db_rollback(db);
		if (err.field == NULL) {
			jx_host->log(JX_LOG_ERROR, "roster", "teacher: %s",
			             err.message_en);
			return roster_storage_error(req);
		}
		people_err(&e, err.field,
		           roster_tr(req, err.message, err.message_en));
		return people_write_failed(req, &e, 0, people_new_teacher_page,
		                           sid, body);
	}
	if ((rc != ROSTER_UNCHANGED &&
	     jx_host->audit(req,
	                    rc == ROSTER_CREATED ? "roster.teacher_created"
	                                         : "roster.teacher_updated",
	                    jx_host->sprintf(req, "%lld", (long long)teacher),
	                    NULL) != 0) ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	if (!people_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/schools/%lld/teachers?saved=1",
		                          (long long)sid));
	item = people_teacher_json(db, sid, teacher);
	if (item == NULL)
		return roster_storage_error(req);
	return jx_host->reply_json(req, rc == ROSTER_CREATED ? 201 : 200, item);
}

/*
 * A teacher leaves a school: the acting identity's school, or the
 * body's school_id (for district and city admins, who have none).
 */
int
teacher_leave(jx_req *req, void *ud)
{
	static const char *const keys[] = {"school_id", NULL};
	int64_t id = jx_host->req_param_id(req, "id"), school = 0;
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	const cJSON *body = NULL;
	const char *data;
	size_t len;
	cJSON *detail;
	int64_t state;
	int rc;

	(void)ud;
	if (!people_is_api(req) ||
	    ((rc = jx_host->req_body(req, 0, &data, &len)) == 0 && len > 0)) {
		if ((body = people_body(req, keys)) == NULL)
			return jx_host->req_status(req);
	} else if (rc != 0)
		return rc;
	school = people_number(body, "school_id");
	if (school <= 0 && i != NULL)
		school = i->school_id;
	/* 1 in school, 2 left, 0 not a teacher there */
	state = id > 0 && school > 0
	            ? jxp_one(jx_host, db,
	                      "SELECT CASE status WHEN 'in_school' "
	                      "THEN 1 ELSE 2 END FROM teachers WHERE "
	                      "person_id = ? AND school_id = ?",
	                      "ii", id, school)
	            : 0;
	if (state <= 0 || !people_may_see_teachers(req, school))
		return roster_not_found(req);
	if (!jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return roster_forbidden(req);
	if (state != 1)
		return jx_host->reply_problem(
		    req, 409, "teacher-left", "Teacher has left",
		    "The teacher has already left this "
		    "school.");
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "school_id", (double)school);
	if (jx_host->db_begin(db) != 0 ||
	    roster_teacher_leave(db, school, id) != 0 ||
	    jx_host->audit(req, "roster.teacher_left",
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
		    req, jx_host->sprintf(req, "/schools/%lld/teachers",
		                          (long long)school));
	return jx_host->reply_json(req, 204, NULL);
}

/* ---- editing a teacher (issue 14) ------------------------------------ */

/* The school a request about one teacher means: the body's or the
 * query's school_id (district and city admins have no school of their
 * own), else the acting identity's. */
static int64_t
people_teacher_school(jx_req *req, const cJSON *body)
{
	const struct jx_identity *i = jx_host->identity(req);
	const char *q = jx_host->req_query(req, "school_id");
	int64_t school = people_number(body, "school_id");

	if (school <= 0 && q != NULL)
		school = strtoll(q, NULL, 10);
	if (school <= 0 && i != NULL)
		school = i->school_id;
	return school;
}

/* 1 in school at school, 2 left, 0 no post there. */
static int64_t
people_teacher_state(jx_db *db, int64_t teacher, int64_t school)
{
	if (teacher <= 0 || school <= 0)
		return 0;
	return jxp_one(jx_host, db,
	               "SELECT CASE status WHEN 'in_school' THEN 1 ELSE 2 END "
	               "FROM teachers WHERE person_id = ? AND school_id = ?",
	               "ii", teacher, school);
}

/* The edit form: the teacher as stored, the school's classes, and a
 * failed post's values and errors. */
static int
people_teacher_edit_page(jx_req *req, jx_db *db, int64_t school,
                         int64_t teacher, const cJSON *values,
                         const cJSON *errors, int status)
{
	cJSON *d = people_teacher_json(db, school, teacher);

	if (d == NULL)
		return roster_storage_error(req);
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "roster.teacher_edit.title"));
	cJSON_AddNumberToObject(d, "school_id", (double)school);
	cJSON_AddStringToObject(d, "school_name",
	                        people_school_name(req, db, school));
	cJSON_AddStringToObject(
	    d, "back",
	    jx_host->sprintf(req, "/schools/%lld/teachers", (long long)school));
	cJSON_AddItemToObject(d, "classes",
	                      people_class_options(db, school, 0));
	cJSON_AddItemToObject(d, "values",
	                      values ? cJSON_Duplicate(values, 1)
	                             : cJSON_CreateObject());
	cJSON_AddItemToObject(d, "errors",
	                      errors ? cJSON_Duplicate(errors, 1)
	                             : cJSON_CreateArray());
	return jx_host->reply_view(req, status, "roster/teacher_edit", d);
}

/* 0 when the caller may edit teacher at school, else the status
 * replied: 404 no post there or not visible, 403 visible only, 409 the
 * teacher has left. */
static int
people_teacher_editable(jx_req *req, jx_db *db, int64_t teacher, int64_t school)
{
	int64_t state = people_teacher_state(db, teacher, school);

	if (state <= 0 || !people_may_see_teachers(req, school))
		return roster_not_found(req);
	if (!jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return roster_forbidden(req);
	if (state != 1)
		return jx_host->reply_problem(
		    req, 409, "teacher-left", "Teacher has left",
		    "The teacher has left this school.");
	return 0;
}

/* GET /teachers/{id}/edit?school_id= */
int
teacher_edit_page(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	int64_t school = people_teacher_school(req, NULL);
	int rc = people_teacher_editable(req, db, id, school);

	(void)ud;
	if (rc != 0)
		return rc;
	return people_teacher_edit_page(req, db, school, id, NULL, NULL, 200);
}

/* The classes teacher heads at school and klass[0..n) leaves out lose
 * their head teacher: the edit's head_of_class_ids is the whole set. 1
 * when any changed, 0 none, -1 on error. */
static int
people_teacher_heads_drop(jx_db *db, int64_t teacher, int64_t school,
                          const int64_t *keep, int n)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT id, grade, name FROM classes WHERE school_id = ? AND "
	    "head_teacher_id = ?",
	    "ii", school, teacher);
	cJSON *drop = cJSON_CreateArray(), *c;
	int changed = 0;

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		int kept = 0;

		for (int i = 0; i < n; i++)
			kept |= keep[i] == id;
		if (kept)
			continue;
		c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "id", (double)id);
		cJSON_AddNumberToObject(c, "grade",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddStringToObject(c, "name", jx_host->db_text(st, 2));
		cJSON_AddItemToArray(drop, c);
	}
	jx_host->db_finish(st);
	if (st == NULL) {
		cJSON_Delete(drop);
		return -1;
	}
	cJSON_ArrayForEach(c, drop)
	{
		if (roster_org->class_update(
		        db, people_number(c, "id"),
		        (int)people_number(c, "grade"),
		        cJSON_GetObjectItem(c, "name")->valuestring, 0) != 0) {
			cJSON_Delete(drop);
			return -1;
		}
		changed = 1;
	}
	cJSON_Delete(drop);
	return changed;
}

/* The teacher's name as this school shows it and phone (the login):
 * arena strings, or -1 when there is none. */
static int
people_teacher_current(jx_req *req, jx_db *db, int64_t teacher, int64_t school,
                       const char **name, const char **phone)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT COALESCE(t.display_name, p.name), p.phone FROM teachers "
	    "t JOIN persons p ON p.id = t.person_id WHERE t.person_id = ? AND "
	    "t.school_id = ?",
	    "ii", teacher, school);
	int rc = -1;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW &&
	    !jx_host->db_is_null(st, 1)) {
		*name = jx_host->strdup(req, jx_host->db_text(st, 0));
		*phone = jx_host->strdup(req, jx_host->db_text(st, 1));
		rc = 0;
	}
	jx_host->db_finish(st);
	return rc;
}

/*
 * PATCH /api/v1/teachers/{id} {"name"?,"gender"?,"subject"?,
 * "class_ids"?,"head_of_class_ids"?} and the edit form's POST
 * /teachers/{id}: the school's admins change a teacher. The phone is the
 * login and changes elsewhere. Name and gender change the person's
 * record only when every tie of the person is within this school (else
 * the school's own name for them); class_ids and head_of_class_ids are
 * the whole sets at this school.
 */
int
teacher_patch(jx_req *req, void *ud)
{
	static const struct jx_field form[] = {
	    {.name = "name", .type = JX_FIELD_STRING},
	    {.name = "gender", .type = JX_FIELD_STRING},
	    {.name = "subject", .type = JX_FIELD_STRING},
	    {.name = "class_ids", .type = JX_FIELD_INT_ARRAY},
	    {.name = "head_of_class_ids", .type = JX_FIELD_INT_ARRAY},
	    {.name = "school_id", .type = JX_FIELD_INT},
	    {.name = NULL},
	};
	int64_t id = jx_host->req_param_id(req, "id"), school, teacher = 0;
	int page = !people_is_api(req), rc;
	jx_db *db = jx_host->req_db(req);
	struct people_errs e = {req, NULL, 0};
	struct roster_teacher_in in;
	struct roster_error err;
	const char *gender, *name = NULL, *phone = NULL;
	cJSON *body, *item;
	int n, heads = 0;

	(void)ud;
	body = page ? jx_host->req_fields(req, form) : jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req) != 0
		           ? jx_host->req_status(req)
		           : roster_invalid(req, NULL);
	school = people_teacher_school(req, body);
	if ((rc = people_teacher_editable(req, db, id, school)) != 0)
		return rc;
	if (page) {
		/* Boxes left unticked send nothing: an empty set. */
		e.list = people_defer_json(req, cJSON_CreateArray());
		if (cJSON_GetObjectItem(body, "class_ids") == NULL)
			cJSON_AddArrayToObject(body, "class_ids");
		if (cJSON_GetObjectItem(body, "head_of_class_ids") == NULL)
			cJSON_AddArrayToObject(body, "head_of_class_ids");
	}
	if (cJSON_GetObjectItemCaseSensitive(body, "phone") != NULL)
		people_err(&e, "phone",
		           roster_tr(req, "手机号是登录账号，不能在这里修改",
		                     "the phone is the login: it changes "
		                     "through its own endpoint"));
	if (people_teacher_current(req, db, id, school, &name, &phone) != 0)
		return roster_storage_error(req);
	memset(&in, 0, sizeof(in));
	in.phone = phone;
	in.name = people_string(&e, body, "name", ROSTER_MAX_NAME, 0);
	if (in.name == NULL)
		in.name = name;
	gender = people_string(&e, body, "gender", 10, 0);
	if (gender != NULL && (in.gender = roster_gender(gender)) == NULL)
		people_err(&e, "gender",
		           roster_tr(req, "性别应为 男 或 女",
		                     "gender: male or female"));
	in.subject = people_string(&e, body, "subject", 30, 0);
	in.class_ids =
	    people_class_list(&e, db, school, body, "class_ids", NULL, &n);
	in.nclass_ids = n > 0 ? n : 0;
	if (n < 0)
		in.class_ids = NULL;
	in.head_of_class_ids = people_class_list(&e, db, school, body,
	                                         "head_of_class_ids", NULL, &n);
	in.nhead_of_class_ids = n > 0 ? n : 0;
	if (n < 0)
		in.head_of_class_ids = NULL;
	if (e.bad)
		goto invalid;
	if (jx_host->db_begin(db) != 0)
		return roster_storage_error(req);
	rc = roster_teacher_apply(db, school, &in, &teacher, &err);
	if (rc >= 0 && in.head_of_class_ids != NULL)
		heads = people_teacher_heads_drop(db, id, school,
		                                  in.head_of_class_ids,
		                                  in.nhead_of_class_ids);
	if (rc < 0 || heads < 0 || teacher != id) {
		jx_host->db_rollback(db);
		if (rc >= 0 || err.field == NULL) {
			jx_host->log(JX_LOG_ERROR, "roster", "teacher edit: %s",
			             rc < 0 ? err.message_en : "storage");
			return roster_storage_error(req);
		}
		people_err(&e, err.field,
		           roster_tr(req, err.message, err.message_en));
		goto invalid;
	}
	if (((rc != ROSTER_UNCHANGED || heads > 0) &&
	     jx_host->audit(req, "roster.teacher_updated",
	                    jx_host->sprintf(req, "%lld", (long long)id),
	                    NULL) != 0) ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	if (page)
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/schools/%lld/teachers?saved=1",
		                          (long long)school));
	item = people_teacher_json(db, school, id);
	if (item == NULL)
		return roster_storage_error(req);
	return jx_host->reply_json(req, 200, item);
invalid:
	if (page)
		return people_teacher_edit_page(req, db, school, id, body,
		                                e.list, 422);
	return roster_invalid(req, NULL);
}
