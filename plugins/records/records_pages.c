/*
 * records_pages.c — the growth-records pages (issue 16), phone first:
 * my records (/records: the student's, or the acting parent's child's;
 * drafts with 提交), the entry form generated from a type's field list
 * (/records/new: type picker, then the form), one record (/records/{id}:
 * attachments as thumbnails, review buttons for reviewers), the review
 * queue (/records/review: batch approve), 公示 (/classes/{cid}/publicity)
 * and the portfolio (/students/{id}/portfolio, printable).
 *
 * Pages read with the records plugin's own functions (rec_load,
 * rec_json, rec_may_review, the registry) and the same scope rules as
 * the API; every change goes through the JSON API (records.js posts it
 * with the page's CSRF token and shows a 422 at its field), so the
 * checks live in one place.
 */
#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared -------------------------------------------------------- */

static int
pages_en(jx_req *req)
{
	return strcmp(jx_host->req_lang(req), "en") == 0;
}

/* The acting identity's role is one of roles. */
static int
pages_role(jx_req *req, const char *roles)
{
	return jxp_role(jx_host, req, roles);
}

/* A one-text query (arena copy), or NULL. */
static const char *
pages_text(jx_req *req, const char *sql, int64_t id)
{
	jx_stmt *st = jx_host->db_query(jx_host->req_db(req), sql, "i", id);
	const char *v = NULL;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW &&
	    jx_host->db_text(st, 0) != NULL)
		v = jx_host->strdup(req, jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	return v;
}

/* A class as the school calls it: 一年级1班 (roster's grade names). */
static const char *
pages_class_name(jx_req *req, int64_t klass)
{
	jx_stmt *st = jx_host->db_query(
	    jx_host->req_db(req),
	    "SELECT grade, name FROM classes WHERE id = ?", "i", klass);
	const char *v = NULL;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		v = jx_host->sprintf(
		    req, "%s%s",
		    jx_host->t(req, jx_host->sprintf(
		                        req, "roster.grade.%lld",
		                        (long long)jx_host->db_int(st, 0))),
		    jx_host->db_text(st, 1));
	jx_host->db_finish(st);
	return v;
}

static void
pages_add_text(cJSON *o, const char *key, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, key, v);
}

/* The records whose ids sql selects (one integer parameter, id), as
 * rec_json gives them (hide_private: 公示). */
static cJSON *
pages_records(jx_req *req, const char *sql, int64_t id, int hide_private)
{
	jx_db *db = jx_host->req_db(req);
	jx_stmt *st = jx_host->db_query(db, sql, "i", id);
	cJSON *items = cJSON_CreateArray();
	int64_t ids[500];
	int n = 0;

	while (st != NULL && n < 500 && jx_host->db_step(st) == JX_DB_ROW)
		ids[n++] = jx_host->db_int(st, 0);
	jx_host->db_finish(st);
	for (int k = 0; k < n; k++) {
		struct rec_row r;

		if (rec_load(req, db, ids[k], &r) == 1)
			cJSON_AddItemToArray(
			    items, rec_json(req, db, &r, hide_private));
	}
	return items;
}

/* The student whose records the page is about: ?student= for staff,
 * else the acting student or parent's child; 0 when not visible. */
static int64_t
pages_student(jx_req *req)
{
	const struct jx_identity *i = jx_host->identity(req);
	const char *q = jx_host->req_query(req, "student");
	int64_t s = jx_host->req_param_id(req, "id");

	if (s <= 0 && q != NULL)
		s = atoll(q);
	if (s <= 0 && i != NULL)
		s = i->student_id;
	return s > 0 && rec_may_read(req, s) ? s : 0;
}

/* 1 when the identity heads class klass. */
static int
pages_heads(const struct jx_identity *i, int64_t klass)
{
	for (int k = 0; k < i->nhead_of_class_ids; k++)
		if (i->head_of_class_ids[k] == klass)
			return 1;
	return 0;
}

/* 1 when role is an item of the comma-separated list. */
static int
pages_in_list(const char *list, const char *role)
{
	size_t n = strlen(role);

	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t m = strcspn(p, ",");

		if (m == n && strncmp(p, role, n) == 0)
			return 1;
		p += m;
		if (*p == ',')
			p++;
	}
	return 0;
}

static const char *
pages_field_type(int type)
{
	static const char *const names[] = {
	    "", "text", "longtext", "date", "number", "choice", "files"};

	return type >= JX_RF_TEXT && type <= JX_RF_FILES ? names[type] : "text";
}

/* A type's fields as the form and the record page need them, in the
 * request's language. */
static cJSON *
pages_type_json(jx_req *req, const struct rec_type *rt)
{
	const struct jx_record_type *t = &rt->t;
	int en = pages_en(req);
	cJSON *o = cJSON_CreateObject(), *fields = cJSON_CreateArray();

	cJSON_AddStringToObject(o, "code", t->code);
	cJSON_AddStringToObject(o, "name", rec_type_name(req, rt));
	cJSON_AddBoolToObject(o, "once_per_term", t->once_per_term != 0);
	for (int k = 0; k < t->nfields; k++) {
		const struct jx_record_field *f = &t->fields[k];
		cJSON *fo = cJSON_CreateObject();

		cJSON_AddStringToObject(fo, "name", f->name);
		cJSON_AddStringToObject(
		    fo, "label", en && f->label_en ? f->label_en : f->label_zh);
		cJSON_AddStringToObject(fo, "type", pages_field_type(f->type));
		cJSON_AddBoolToObject(fo, "required", f->required != 0);
		cJSON_AddBoolToObject(fo, "private", f->is_private != 0);
		if (f->min != 0 || f->max != 0) {
			cJSON_AddNumberToObject(fo, "min", f->min);
			cJSON_AddNumberToObject(fo, "max", f->max);
		}
		if (f->type == JX_RF_CHOICE) {
			cJSON *ch = cJSON_AddArrayToObject(fo, "choices");

			for (int c = 0; f->choices[c] != NULL; c++) {
				cJSON *co = cJSON_CreateObject();
				const char *label = f->choices[c];

				if (en && f->choices_en != NULL &&
				    f->choices_en[c] != NULL)
					label = f->choices_en[c];
				cJSON_AddStringToObject(co, "value",
				                        f->choices[c]);
				cJSON_AddStringToObject(co, "label", label);
				cJSON_AddItemToArray(ch, co);
			}
		}
		cJSON_AddItemToArray(fields, fo);
	}
	cJSON_AddItemToObject(o, "fields", fields);
	return o;
}

/* Adds "rows" [{label, value, private}] to a record of rec_json: the
 * fields that are not files, in the type's order, choices translated. */
static void
pages_rows(jx_req *req, cJSON *rec)
{
	const struct rec_type *rt = rec_type_find(
	    cJSON_GetStringValue(cJSON_GetObjectItem(rec, "type")));
	const cJSON *fields = cJSON_GetObjectItem(rec, "fields");
	cJSON *rows = cJSON_AddArrayToObject(rec, "rows");
	int en = pages_en(req);

	if (rt == NULL)
		return;
	for (int k = 0; k < rt->t.nfields; k++) {
		const struct jx_record_field *f = &rt->t.fields[k];
		const cJSON *v = cJSON_GetObjectItem(fields, f->name);
		const char *text = NULL;
		cJSON *row;

		if (f->type == JX_RF_FILES || v == NULL)
			continue;
		if (cJSON_IsString(v))
			text = v->valuestring;
		else if (cJSON_IsNumber(v))
			text = jx_host->sprintf(req, "%g", v->valuedouble);
		if (text == NULL)
			continue;
		if (f->type == JX_RF_CHOICE && en && f->choices_en != NULL)
			for (int c = 0; f->choices[c] != NULL; c++)
				if (strcmp(f->choices[c], text) == 0 &&
				    f->choices_en[c] != NULL)
					text = f->choices_en[c];
		row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "label",
		                        en && f->label_en ? f->label_en
		                                          : f->label_zh);
		cJSON_AddStringToObject(row, "value", text);
		cJSON_AddStringToObject(row, "type", pages_field_type(f->type));
		cJSON_AddBoolToObject(row, "private", f->is_private != 0);
		cJSON_AddItemToArray(rows, row);
	}
}

/* ---- /records: my records ------------------------------------------- */

int
page_records_mine(jx_req *req, void *ud)
{
	int64_t student;
	cJSON *d;

	(void)ud;
	if (pages_role(req, "teacher,school_admin"))
		return jx_host->reply_redirect(req, "/records/review");
	if (!pages_role(req, "student,parent") ||
	    (student = pages_student(req)) == 0)
		return jxp_not_found(jx_host, req);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "records.mine.title"));
	cJSON_AddNumberToObject(d, "student_id", (double)student);
	cJSON_AddNumberToObject(
	    d, "class_id",
	    (double)jxp_one(jx_host, jx_host->req_db(req),
	                    "SELECT COALESCE(class_id, 0) FROM students WHERE "
	                    "person_id = ? AND status = 'in_school'",
	                    "i", student));
	pages_add_text(
	    d, "student_name",
	    pages_text(req, "SELECT name FROM persons WHERE id = ?", student));
	cJSON_AddItemToObject(
	    d, "items",
	    pages_records(
	        req,
	        "SELECT id FROM records_records WHERE student_id = ? "
	        "ORDER BY CASE status WHEN 'rejected' THEN "
	        "0 WHEN 'draft' THEN 1 WHEN 'submitted' THEN 2 ELSE 3 "
	        "END, id DESC LIMIT 500",
	        student, 0));
	return jx_host->reply_view(req, 200, "records/mine", d);
}

/* ---- /records/new: type picker, then the form ----------------------- */

int
page_records_new(jx_req *req, void *ud)
{
	int64_t student = pages_student(req), school, klass, district;
	jx_db *db = jx_host->req_db(req);
	const char *code = jx_host->req_query(req, "type"), *capacity;
	const struct rec_type *chosen = NULL;
	cJSON *d, *types;
	char term[16];
	int rc;

	(void)ud;
	if (student == 0)
		return jxp_not_found(jx_host, req);
	rc = rec_student_place(db, student, &school, &klass, &district);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	capacity = rc == 1 ? rec_capacity(req, student, school, klass) : NULL;
	if (capacity == NULL)
		return jxp_forbidden(jx_host, req);
	d = cJSON_CreateObject();
	types = cJSON_AddArrayToObject(d, "types");
	for (int k = 0; k < rec_type_count(); k++) {
		const struct rec_type *t = rec_type_at(k);
		char *creators = rec_creators(req, db, district, t);
		cJSON *o;

		if (creators == NULL) {
			cJSON_Delete(d);
			return jxp_storage_error(jx_host, req);
		}
		if (!pages_in_list(creators, capacity) &&
		    !(strcmp(capacity, "head_teacher") == 0 &&
		      pages_in_list(creators, "teacher")))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "code", t->t.code);
		cJSON_AddStringToObject(o, "name", rec_type_name(req, t));
		cJSON_AddItemToArray(types, o);
		if (code != NULL && strcmp(code, t->t.code) == 0)
			chosen = t;
	}
	cJSON_AddNumberToObject(d, "student_id", (double)student);
	pages_add_text(
	    d, "student_name",
	    pages_text(req, "SELECT name FROM persons WHERE id = ?", student));
	cJSON_AddBoolToObject(d, "staff",
	                      pages_role(req, "teacher,school_admin"));
	if (rec_term_of(db, district, jx_host->now(), term, sizeof(term)) == 0)
		cJSON_AddStringToObject(d, "term", term);
	if (chosen != NULL) {
		cJSON_AddItemToObject(d, "type", pages_type_json(req, chosen));
		cJSON_AddStringToObject(
		    d, "title",
		    jxp_fill(jx_host, req,
		             jx_host->t(req, "records.new.title_of"), "type",
		             rec_type_name(req, chosen)));
	} else
		cJSON_AddStringToObject(d, "title",
		                        jx_host->t(req, "records.new.title"));
	cJSON_AddStringToObject(
	    d, "back",
	    pages_role(req, "student,parent")
	        ? "/records"
	        : jx_host->sprintf(req, "/students/%lld/portfolio",
	                           (long long)student));
	return jx_host->reply_view(req, 200, "records/new", d);
}

/* ---- /records/{id} -------------------------------------------------- */

int
page_record(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	int family, rc, pub = 0;
	struct rec_row r;
	cJSON *d, *rec;

	(void)ud;
	rc = rec_load(req, db, id, &r);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	family = rc == 1 && i->student_id == r.student &&
	         pages_role(req, "student,parent");
	/* drafts are the family's and their writer's; the rest their
	 * readers', or the class's during 公示 (private fields hidden) */
	if (rc == 1 && !rec_may_read(req, r.student))
		pub = rec_publicity_reader(req, db, r.id);
	if (rc == 0 || (!rec_may_read(req, r.student) && !pub) ||
	    (strcmp(r.status, "draft") == 0 && !family &&
	     r.created_by != i->person_id))
		return jxp_not_found(jx_host, req);
	rec = rec_json(req, db, &r, pub);
	pages_rows(req, rec);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title", r.title);
	cJSON_AddItemToObject(d, "record", rec);
	cJSON_AddBoolToObject(d, "can_edit",
	                      !pub &&
	                          (strcmp(r.status, "draft") == 0 ||
	                           strcmp(r.status, "rejected") == 0) &&
	                          ((strcmp(r.created_role, "student") == 0 ||
	                            strcmp(r.created_role, "parent") == 0)
	                               ? family
	                               : r.created_by == i->person_id));
	cJSON_AddBoolToObject(d, "staff",
	                      !pub && pages_role(req, "teacher,school_admin"));
	cJSON_AddBoolToObject(d, "can_review",
	                      !pub && strcmp(r.status, "submitted") == 0 &&
	                          rec_may_review(req, &r));
	cJSON_AddStringToObject(
	    d, "back",
	    family ? "/records"
	    : pub  ? jx_host->sprintf(req, "/classes/%lld/publicity",
	                              (long long)r.klass)
	           : "/records/review");
	return jx_host->reply_view(req, 200, "records/record", d);
}

/* ---- /records/{id}/edit: the form again, filled in ------------------ */

int
page_record_edit(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	const struct rec_type *t;
	struct rec_row r;
	int rc, family, may;
	cJSON *d;

	(void)ud;
	rc = rec_load(req, db, id, &r);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	if (rc == 0 || !rec_may_read(req, r.student))
		return jxp_not_found(jx_host, req);
	family =
	    i->student_id == r.student && pages_role(req, "student,parent");
	/* the API's rule (rec_may_edit): the family's records by the family,
	 * staff's by their writer; drafts and returned ones only */
	may = (strcmp(r.created_role, "student") == 0 ||
	       strcmp(r.created_role, "parent") == 0)
	          ? family
	          : r.created_by == i->person_id;
	if (strcmp(r.status, "draft") == 0 && !may)
		return jxp_not_found(jx_host, req);
	if (!may || (strcmp(r.status, "draft") != 0 &&
	             strcmp(r.status, "rejected") != 0))
		return jxp_forbidden(jx_host, req);
	t = rec_type_find(r.type);
	if (t == NULL)
		return jxp_not_found(jx_host, req);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "records.edit.title"));
	cJSON_AddNumberToObject(d, "student_id", (double)r.student);
	pages_add_text(d, "student_name",
	               pages_text(req, "SELECT name FROM persons WHERE id = ?",
	                          r.student));
	cJSON_AddBoolToObject(d, "staff", !family);
	cJSON_AddItemToObject(d, "types", cJSON_CreateArray());
	cJSON_AddItemToObject(d, "type", pages_type_json(req, t));
	cJSON_AddItemToObject(d, "record", rec_json(req, db, &r, 0));
	cJSON_AddStringToObject(
	    d, "back", jx_host->sprintf(req, "/records/%lld", (long long)r.id));
	return jx_host->reply_view(req, 200, "records/new", d);
}

/* ---- /records/review ------------------------------------------------ */

int
page_records_review(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *d, *items;
	const char *where = NULL;

	(void)ud;
	if (pages_role(req, "school_admin") &&
	    jx_host->may(req, JX_MANAGE_SCHOOL, i->school_id))
		where = "1 = 1";
	else if (pages_role(req, "teacher") && i->nhead_of_class_ids > 0) {
		char *list = jx_host->sprintf(
		    req, "%lld", (long long)i->head_of_class_ids[0]);

		for (int k = 1; k < i->nhead_of_class_ids; k++)
			list = jx_host->sprintf(
			    req, "%s,%lld", list,
			    (long long)i->head_of_class_ids[k]);
		where = jx_host->sprintf(req, "class_id IN (%s)", list);
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "records.review.title"));
	cJSON_AddBoolToObject(d, "reviewer", where != NULL);
	/* a school's admin picks among all its classes; a head teacher has
	 * a cell per class */
	cJSON_AddBoolToObject(d, "picker", pages_role(req, "school_admin"));
	items = where == NULL
	            ? cJSON_CreateArray()
	            : pages_records(
	                  req,
	                  jx_host->sprintf(
	                      req,
	                      "SELECT id FROM records_records WHERE school_id "
	                      "= ? AND status = 'submitted' AND %s "
	                      "ORDER BY id LIMIT 200",
	                      where),
	                  i->school_id, 0);
	{
		cJSON *o;

		cJSON_ArrayForEach(o, items)
		{
			pages_add_text(
			    o, "class_name",
			    pages_class_name(
			        req, (int64_t)cJSON_GetNumberValue(
			                 cJSON_GetObjectItem(o, "class_id"))));
		}
	}
	cJSON_AddItemToObject(d, "items", items);
	/* the classes whose 公示 the reviewer manages */
	{
		cJSON *classes = cJSON_AddArrayToObject(d, "classes");
		jx_stmt *st =
		    where == NULL
		        ? NULL
		        : jx_host->db_query(
		              jx_host->req_db(req),
		              jx_host->sprintf(
		                  req,
		                  "SELECT id FROM classes WHERE "
		                  "school_id = ? AND %s ORDER BY "
		                  "grade, name LIMIT 200",
		                  strncmp(where, "class_id", 8) == 0 ? where + 6
		                                                     : where),
		              "i", i->school_id);
		int64_t ids[200];
		int n = 0;

		while (st != NULL && n < 200 &&
		       jx_host->db_step(st) == JX_DB_ROW)
			ids[n++] = jx_host->db_int(st, 0);
		jx_host->db_finish(st);
		for (int k = 0; k < n; k++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "id", (double)ids[k]);
			pages_add_text(o, "name",
			               pages_class_name(req, ids[k]));
			cJSON_AddItemToArray(classes, o);
		}
	}
	return jx_host->reply_view(req, 200, "records/review", d);
}

/* ---- /classes/{cid}/publicity: 公示 --------------------------------- */

int
page_publicity(jx_req *req, void *ud)
{
	int64_t klass = jx_host->req_param_id(req, "cid"), pid, ends, school;
	jx_db *db = jx_host->req_db(req);
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *d;
	char when[32];
	int publisher;

	(void)ud;
	if (klass <= 0 || !jx_host->may(req, JX_SEE_CLASS, klass))
		return jxp_not_found(jx_host, req);
	school =
	    jxp_one(jx_host, db, "SELECT school_id FROM classes WHERE id = ?",
	            "i", klass);
	pid =
	    jxp_one(jx_host, db,
	            "SELECT id FROM records_publicity WHERE class_id = ? AND "
	            "status = 'open' AND ends_at > ? ORDER BY id DESC LIMIT 1",
	            "ii", klass, jx_host->now());
	if (pid < 0 || school < 0)
		return jxp_storage_error(jx_host, req);
	/* who publishes and closes (the API's rule): the school's admin, the
	 * class's head teacher */
	publisher = pages_role(req, "school_admin")
	                ? i->school_id == school &&
	                      jx_host->may(req, JX_MANAGE_SCHOOL, school)
	                : pages_role(req, "teacher") &&
	                      i->school_id == school && pages_heads(i, klass);
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "class_id", (double)klass);
	pages_add_text(d, "class_name", pages_class_name(req, klass));
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "records.publicity.title"));
	cJSON_AddBoolToObject(d, "publisher", publisher);
	if (pid > 0) {
		cJSON *p = cJSON_AddObjectToObject(d, "publicity");

		cJSON_AddNumberToObject(p, "id", (double)pid);
		pages_add_text(
		    p, "term",
		    pages_text(
		        req, "SELECT term FROM records_publicity WHERE id = ?",
		        pid));
		ends = jxp_one(
		    jx_host, db,
		    "SELECT ends_at FROM records_publicity WHERE id = ?", "i",
		    pid);
		jx_host->format_time(ends, when, sizeof(when));
		cJSON_AddStringToObject(p, "ends_at", when);
		cJSON_AddItemToObject(
		    p, "records",
		    pages_records(
		        req,
		        "SELECT record_id FROM records_publicity_items "
		        "WHERE publicity_id = ? ORDER BY "
		        "record_id LIMIT 500",
		        pid, 1));
		{
			cJSON *o;

			cJSON_ArrayForEach(o, cJSON_GetObjectItem(p, "records"))
			{
				pages_rows(req, o);
			}
		}
		/* objections go to the school's admins */
		if (publisher && pages_role(req, "school_admin")) {
			cJSON *rows = jx_host->db_rows(
			    db,
			    "SELECT o.id, o.record_id, r.title AS "
			    "record_title, "
			    "s.name AS student_name, pe.name AS person_name, "
			    "o.role, o.text FROM records_objections o JOIN "
			    "records_records r ON r.id = o.record_id JOIN "
			    "persons "
			    "s ON s.id = r.student_id JOIN persons pe ON pe.id "
			    "= "
			    "o.person_id WHERE o.publicity_id = ? ORDER BY "
			    "o.id "
			    "LIMIT 200",
			    "i", pid);

			if (rows == NULL) {
				cJSON_Delete(d);
				return jxp_storage_error(jx_host, req);
			}
			cJSON_AddItemToObject(p, "objections", rows);
		}
	} else if (publisher) {
		char term[16];
		int64_t district = jxp_one(
		    jx_host, db, "SELECT district_id FROM schools WHERE id = ?",
		    "i", school);

		if (rec_term_of(db, district, jx_host->now(), term,
		                sizeof(term)) == 0)
			cJSON_AddStringToObject(d, "term", term);
		cJSON_AddNumberToObject(
		    d, "approved",
		    (double)jxp_one(
		        jx_host, db,
		        "SELECT COUNT(*) FROM records_records WHERE "
		        "class_id = ? AND status = 'approved'",
		        "i", klass));
	}
	return jx_host->reply_view(req, 200, "records/publicity", d);
}

/* GET /records/publicity?class_id=: the school admin's class picker
 * (a GET form on the review page) goes to that class's 公示. */
int
page_publicity_pick(jx_req *req, void *ud)
{
	const char *q = jx_host->req_query(req, "class_id");
	int64_t klass = q != NULL ? atoll(q) : 0;

	(void)ud;
	if (klass <= 0 || !jx_host->may(req, JX_SEE_CLASS, klass))
		return jxp_not_found(jx_host, req);
	return jx_host->reply_redirect(
	    req,
	    jx_host->sprintf(req, "/classes/%lld/publicity", (long long)klass));
}

/* ---- /students/{id}/portfolio --------------------------------------- */

int
page_portfolio(jx_req *req, void *ud)
{
	int64_t student = pages_student(req), school = 0, klass = 0, district;
	jx_db *db = jx_host->req_db(req);
	cJSON *d, *items, *terms, *term = NULL, *group = NULL, *o;
	const char *last_term = "", *last_type = "";

	(void)ud;
	if (student == 0)
		return jxp_not_found(jx_host, req);
	if (rec_student_place(db, student, &school, &klass, &district) < 0)
		return jxp_storage_error(jx_host, req);
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "student_id", (double)student);
	pages_add_text(
	    d, "student_name",
	    pages_text(req, "SELECT name FROM persons WHERE id = ?", student));
	pages_add_text(
	    d, "school_name",
	    pages_text(req, "SELECT name FROM schools WHERE id = ?", school));
	pages_add_text(d, "class_name", pages_class_name(req, klass));
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "records.portfolio.title"));
	cJSON_AddStringToObject(
	    d, "zip",
	    jx_host->sprintf(req, "/api/v1/students/%lld/portfolio.zip",
	                     (long long)student));
	cJSON_AddBoolToObject(
	    d, "may_add", rec_capacity(req, student, school, klass) != NULL);
	/* by term (newest first), then type, then date */
	items = pages_records(req,
	                      "SELECT id FROM records_records WHERE student_id "
	                      "= ? AND status IN ('approved', 'archived') "
	                      "ORDER BY term DESC, type, record_date, id "
	                      "LIMIT 500",
	                      student, 0);
	terms = cJSON_AddArrayToObject(d, "terms");
	cJSON_ArrayForEach(o, items)
	{
		const char *t =
		    cJSON_GetStringValue(cJSON_GetObjectItem(o, "term"));
		const char *ty =
		    cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));

		if (term == NULL || strcmp(t, last_term) != 0) {
			term = cJSON_CreateObject();
			cJSON_AddStringToObject(term, "term", t);
			cJSON_AddArrayToObject(term, "types");
			cJSON_AddItemToArray(terms, term);
			last_term = t;
			last_type = "";
		}
		if (strcmp(ty, last_type) != 0) {
			group = cJSON_CreateObject();
			cJSON_AddStringToObject(
			    group, "name",
			    cJSON_GetStringValue(
			        cJSON_GetObjectItem(o, "type_name")));
			cJSON_AddArrayToObject(group, "records");
			cJSON_AddItemToArray(cJSON_GetObjectItem(term, "types"),
			                     group);
			last_type = ty;
		}
		{
			cJSON *copy = cJSON_Duplicate(o, 1);

			pages_rows(req, copy);
			cJSON_AddItemToArray(
			    cJSON_GetObjectItem(group, "records"), copy);
		}
	}
	cJSON_Delete(items);
	return jx_host->reply_view(req, 200, "records/portfolio", d);
}

/* ---- menu and tab ---------------------------------------------------- */

/* The family's records still to submit (drafts, returned): one indexed
 * count (records_student) for the acting student or child. */
static int64_t
pages_todo_count(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);

	(void)ud;
	if (i == NULL || i->student_id <= 0)
		return -1;
	return jxp_one(jx_host, jx_host->req_db(req),
	               "SELECT COUNT(*) FROM records_records WHERE student_id "
	               "= ? AND status IN ('draft', 'rejected')",
	               "i", i->student_id);
}

static const struct jx_home_item pages_home_todo = {
    .size = sizeof(struct jx_home_item),
    .roles = "student,parent",
    .label_key = "home.records.todo",
    .href = "/records",
    .order = 45,
    .flags = JX_HOME_HIDE_ZERO | JX_HOME_TAB_BADGE,
    .count = pages_todo_count,
};

int
rec_pages_init(struct jx_registrar *reg)
{
	reg->menu(reg, "student,parent", "nav.records.mine", "/records", 40);
	reg->menu(reg, "teacher,school_admin", "nav.records.review",
	          "/records/review", 40);
	if (JX_REG_HAS(reg, home_item))
		reg->home_item(reg, &pages_home_todo);
	if (JX_REG_HAS(reg, menu_tab))
		reg->menu_tab(reg, "student", "tab.records", "/records", 20,
		              "growth");
	return 0;
}
