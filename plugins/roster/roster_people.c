/*
 * roster_people.c — what the student and teacher endpoints share: list
 * filters and cursor pages, reading a JSON body or an HTML form into the
 * same checks, errors that both the API's problem and the page's form
 * show, and the routes of the three files (roster_students.c,
 * roster_teachers.c, roster_pages.c). Each handler answers both faces,
 * JSON under /api/v1 and the HTML page from the same data, so the two
 * cannot drift.
 */
#include "roster_people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
people_is_api(jx_req *req)
{
	return jx_host->req_is_api(req);
}

/* A string member, or null for SQL NULL. */
void
people_add_text(cJSON *o, const char *key, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

int64_t
people_number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

size_t
people_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int
people_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int k;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			k = 1;
		else if ((*p & 0xf0) == 0xe0)
			k = 2;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			k = 3;
		else
			return 0;
		for (int j = 1; j <= k; j++)
			if ((p[j] & 0xc0) != 0x80)
				return 0;
		p += k + 1;
	}
	return 1;
}

/* s percent-encoded for a query string (arena memory). */
static char *
people_url_encode(jx_req *req, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = jx_host->alloc(req, strlen(s) * 3 + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* A LIKE pattern: the value with % _ \ escaped, wrapped as asked. */
static char *
people_like(jx_req *req, const char *q, int leading)
{
	char *out = jx_host->alloc(req, strlen(q) * 2 + 3), *o = out;

	if (leading)
		*o++ = '%';
	for (const char *p = q; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

const char *
people_school_name(jx_req *req, jx_db *db, int64_t school)
{
	jx_stmt *st = jx_host->db_query(
	    db, "SELECT name FROM schools WHERE id = ?", "i", school);
	const char *name = "";

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		name = jx_host->strdup(req, jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	return name;
}

/*
 * The classes of a school as [{"id","grade","name","full_name"}], for
 * the pages' selects; only those a teacher teaches or heads when
 * teacher is not 0.
 */
cJSON *
people_class_options(jx_db *db, int64_t school, int64_t teacher)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT id, grade, name FROM classes WHERE school_id = ? AND "
	    "(? = 0 OR id IN (SELECT class_id FROM teaching WHERE "
	    "teacher_id = ? UNION SELECT id FROM classes WHERE "
	    "head_teacher_id = ?)) ORDER BY grade, name",
	    "iiii", school, teacher, teacher, teacher);
	cJSON *arr = cJSON_CreateArray();

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *c = cJSON_CreateObject();
		char full[160];
		int grade = (int)jx_host->db_int(st, 1);
		const char *label = roster_org->grade_label(grade);

		cJSON_AddNumberToObject(c, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(c, "grade", grade);
		cJSON_AddStringToObject(c, "name", jx_host->db_text(st, 2));
		snprintf(full, sizeof(full), "%s%s", label ? label : "",
		         jx_host->db_text(st, 2));
		cJSON_AddStringToObject(c, "full_name", full);
		cJSON_AddItemToArray(arr, c);
	}
	jx_host->db_finish(st);
	return arr;
}

/* Reads ?limit, cursor, status, class_id, q; 0, or -1 with errors. */
int
people_filter_parse(jx_req *req, struct people_filter *f, int page)
{
	const char *status = jx_host->req_query(req, "status");
	const char *klass = jx_host->req_query(req, "class_id");
	const char *q = jx_host->req_query(req, "q");
	char id[64];
	int bad = 0;

	memset(f, 0, sizeof(*f));
	jxp_page(jx_host, req, &f->limit, &f->after);
	/* The page opens on the students in school; the API lists all. */
	if (status == NULL)
		status = page ? "in_school" : "";
	if (strcmp(status, "all") == 0)
		status = "";
	if (*status && strcmp(status, "in_school") != 0 &&
	    strcmp(status, "left") != 0) {
		jx_host->problem_error(req, 0, "status",
		                       "status must be in_school or left");
		bad = 1;
	}
	f->status = status;
	if (klass != NULL && *klass) {
		char *end;

		f->klass = strtoll(klass, &end, 10);
		if (*end || f->klass <= 0) {
			jx_host->problem_error(req, 0, "class_id",
			                       "class_id must be a class's id");
			bad = 1;
		}
	}
	if (q == NULL)
		q = "";
	while (*q == ' ')
		q++;
	if (strlen(q) > 100 || !people_utf8_ok(q)) {
		jx_host->problem_error(
		    req, 0, "q", "q must be UTF-8 text of at most 100 bytes");
		bad = 1;
		q = "";
	}
	q = jx_host->strdup(req, q);
	for (char *e = (char *)q + strlen(q); e > q && e[-1] == ' ';)
		*--e = '\0';
	f->q = q;
	if (*q && roster_id_number(q, id, sizeof(id)) == 0)
		roster_org->lookup_hash(id, f->hash);
	/* a 全国学籍号 that embeds an ID number is found only whole, by
	 * its hash, like the ID number */
	if (*q && roster_org->national_norm(q, id, sizeof(id)) == 0 && *id)
		roster_org->lookup_hash(id, f->national_hash);
	f->contains = people_like(req, q, 1);
	f->prefix = people_like(req, q, 0);
	return bad ? -1 : 0;
}

/* Links to the first and the next page of a list, for the pages. */
void
people_page_links(jx_req *req, cJSON *out, const char *base,
                  const struct people_filter *f)
{
	const cJSON *next = cJSON_GetObjectItem(out, "next_cursor");
	const char *query = jx_host->sprintf(
	    req, "%s?q=%s&status=%s%s", base, people_url_encode(req, f->q),
	    *f->status ? f->status : "all",
	    f->klass > 0
	        ? jx_host->sprintf(req, "&class_id=%lld", (long long)f->klass)
	        : "");

	if (cJSON_IsString(next))
		cJSON_AddStringToObject(out, "next_url",
		                        jx_host->sprintf(req, "%s&cursor=%s",
		                                         query,
		                                         next->valuestring));
	if (f->after > 0)
		cJSON_AddStringToObject(out, "first_url", query);
}

void
people_err(struct people_errs *e, const char *field, const char *msg)
{
	jx_host->problem_error(e->req, 0, field, msg);
	if (e->list != NULL) {
		cJSON *o = cJSON_CreateObject();

		people_add_text(o, "field", field);
		cJSON_AddStringToObject(o, "message", msg);
		cJSON_AddItemToArray(e->list, o);
	}
	e->bad = 1;
}

const char *
people_string(struct people_errs *e, const cJSON *body, const char *name,
              size_t max, int required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
	const char *s, *end;
	char *out;

	if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v)) {
		people_err(e, name,
		           jx_host->sprintf(e->req,
		                            roster_tr(e->req, "应为文字%.0s",
		                                      "%s must be a string"),
		                            name));
		return NULL;
	}
	s = cJSON_IsString(v) ? v->valuestring : "";
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == s) {
		if (required)
			people_err(
			    e, name,
			    jx_host->sprintf(
			        e->req,
			        roster_tr(e->req, "必填%.0s", "%s is required"),
			        name));
		return NULL;
	}
	out = jx_host->alloc(e->req, (size_t)(end - s) + 1);
	memcpy(out, s, (size_t)(end - s));
	out[end - s] = '\0';
	/* The host refuses these in JSON bodies; an HTML form's fields come
	 * here without that check. A leave's reason may have lines. */
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if ((*p < 0x20 || *p == 0x7f) &&
		    !(strcmp(name, "reason") == 0 &&
		      (*p == '\n' || *p == '\r' || *p == '\t'))) {
			people_err(
			    e, name,
			    jx_host->sprintf(
			        e->req,
			        roster_tr(
			            e->req, "不能含控制字符%.0s",
			            "%s must not contain control characters"),
			        name));
			return NULL;
		}
	if (!people_utf8_ok(out) || people_chars(out) > max) {
		people_err(e, name,
		           jx_host->sprintf(
		               e->req,
		               roster_tr(e->req, "最多%zu个字%.0s",
		                         "%zu characters of UTF-8 text at most "
		                         "in %s"),
		               max, name));
		return NULL;
	}
	return out;
}

/* An HTML form's fields among keys, read by the host (req_fields) into
 * one object: ids as integers, a leave's reason with its lines, the rest
 * one-line text, each checked further by the handlers. NULL after a
 * reply (a malformed body; a field that is no text or no integer: 422). */
static cJSON *
people_form_json(jx_req *req, const char *const *keys)
{
	struct jx_field *spec;
	size_t n = 0;
	cJSON *o;

	while (keys[n] != NULL)
		n++;
	spec = jx_host->alloc(req, (n + 1) * sizeof(*spec));
	for (size_t k = 0; k <= n; k++)
		spec[k] = (struct jx_field){
		    .name = keys[k],
		    .type = keys[k] == NULL ? 0
		            : strcmp(keys[k], "class_id") == 0 ||
		                    strcmp(keys[k], "school_id") == 0
		                ? JX_FIELD_INT
		            : strcmp(keys[k], "reason") == 0 ? JX_FIELD_TEXT
		                                             : JX_FIELD_STRING,
		};
	o = jx_host->req_fields(req, spec);
	if (o == NULL && jx_host->req_status(req) == 0)
		roster_invalid(req, NULL);
	return o;
}

static void
people_json_free(void *p)
{
	cJSON_Delete(p);
}

cJSON *
people_defer_json(jx_req *req, cJSON *json)
{
	jx_host->defer(req, people_json_free, json);
	return json;
}

const cJSON *
people_body(jx_req *req, const char *const *keys)
{
	if (people_is_api(req))
		return jx_host->req_json(req);
	return people_form_json(req, keys);
}

/* A class of this school by id; 0 after an error. */
int64_t
people_class_of_school(struct people_errs *e, jx_db *db, int64_t school,
                       int64_t id, const char *field)
{
	if (id <= 0 || jxp_one(jx_host, db,
	                       "SELECT 1 FROM classes WHERE id = ? AND "
	                       "school_id = ?",
	                       "ii", id, school) != 1) {
		people_err(e, field,
		           roster_tr(e->req, "班级不存在",
		                     "not a class of this school"));
		return 0;
	}
	return id;
}

/* The reply to a failed write: 409 for a conflict, else 422, with the
 * errors gathered; a page shows its form again through show. */
int
people_write_failed(jx_req *req, const struct people_errs *e, int conflict,
                    people_show_fn show, int64_t target, const cJSON *body)
{
	int status = conflict ? 409 : 422;

	if (e->list != NULL && show != NULL)
		return show(req, jx_host->req_db(req), target, body, e->list,
		            status);
	if (conflict)
		return jx_host->reply_problem(req, 409, "conflict", "Conflict",
		                              "A student with this number is "
		                              "already on record.");
	return roster_invalid(req, NULL);
}
