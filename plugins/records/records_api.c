/*
 * records_api.c — a student's records: create (the API's and
 * records.v1's), list, read, change, delete and submit, the checks of a
 * type's field list, who may create and who reads, and the files a
 * record attaches (refs "record:<id>", and "record:<id>:p" for the
 * files of private fields, which 公示 never shows).
 *
 * Readers of a student's records are those jx_host->may lets see the
 * student (the student, the acting parent of the child, the class's
 * teachers, the school's admins): decided by the student's current
 * school and class, so a transferred student's records follow them.
 * Drafts are the family's work: staff see only their own.
 */
#include "records.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------- */

int64_t
rec_id_of(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1) ||
	    v->valuedouble > 9007199254740991.0 ||
	    v->valuedouble != floor(v->valuedouble))
		return 0;
	return (int64_t)v->valuedouble;
}

static int
rec_en(jx_req *req)
{
	return req != NULL && strcmp(jx_host->req_lang(req), "en") == 0;
}

static const char *
rec_msg(jx_req *req, const char *zh, const char *en)
{
	return rec_en(req) ? en : zh;
}

int
rec_student_place(jx_db *db, int64_t student, int64_t *school, int64_t *klass,
                  int64_t *district)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT s.school_id, COALESCE(s.class_id, 0), sc.district_id "
	    "FROM students s JOIN schools sc ON sc.id = s.school_id WHERE "
	    "s.person_id = ? AND s.status = 'in_school'",
	    "i", student);
	int rc;

	if (st == NULL)
		return -1;
	rc = jx_host->db_step(st);
	if (rc == JX_DB_ROW) {
		*school = jx_host->db_int(st, 0);
		*klass = jx_host->db_int(st, 1);
		*district = jx_host->db_int(st, 2);
	}
	jx_host->db_finish(st);
	return rc == JX_DB_ROW ? 1 : rc == JX_DB_DONE ? 0 : -1;
}

int
rec_may_read(jx_req *req, int64_t student)
{
	return student > 0 && jx_host->may(req, JX_SEE_STUDENT, student);
}

/* 1 when the acting identity is the student or acts as their parent. */
static int
rec_is_family(jx_req *req, int64_t student)
{
	const struct jx_identity *i = jx_host->identity(req);

	return i != NULL && i->student_id == student &&
	       (strcmp(i->role, "student") == 0 ||
	        strcmp(i->role, "parent") == 0);
}

/* 1 when the acting identity may see r at all (drafts: the family and
 * whoever wrote it). */
static int
rec_visible(jx_req *req, const struct rec_row *r)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (i == NULL || !rec_may_read(req, r->student))
		return 0;
	if (strcmp(r->status, "draft") != 0)
		return 1;
	return rec_is_family(req, r->student) ||
	       (r->created_by != 0 && r->created_by == i->person_id);
}

/* 1 when the acting identity may change, submit or delete r: its
 * creator's side (the family for what the family wrote, else whoever
 * wrote it), while a draft or rejected. */
static int
rec_may_edit(jx_req *req, const struct rec_row *r)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (i == NULL || !rec_may_read(req, r->student))
		return 0;
	if (strcmp(r->created_role, "student") == 0 ||
	    strcmp(r->created_role, "parent") == 0)
		return rec_is_family(req, r->student);
	return r->created_by != 0 && r->created_by == i->person_id;
}

int
rec_load(jx_req *req, jx_db *db, int64_t id, struct rec_row *r)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT id, student_id, school_id, class_id, district_id, "
	    "created_by, COALESCE(reviewed_by, 0), created_at, updated_at, "
	    "COALESCE(reviewed_at, 0), COALESCE(submitted_at, 0), "
	    "record_date, term, type, title, fields, status, review_comment, "
	    "created_role, ref FROM records_records WHERE id = ?",
	    "i", id);
	int rc;

	memset(r, 0, sizeof(*r));
	if (st == NULL)
		return -1;
	rc = jx_host->db_step(st);
	if (rc == JX_DB_ROW) {
		int64_t *ints[] = {
		    &r->id,          &r->student,      &r->school,
		    &r->klass,       &r->district,     &r->created_by,
		    &r->reviewed_by, &r->created_at,   &r->updated_at,
		    &r->reviewed_at, &r->submitted_at, &r->date};
		const char **texts[] = {
		    &r->term,   &r->type,    &r->title,        &r->fields,
		    &r->status, &r->comment, &r->created_role, &r->ref};

		for (int k = 0; k < 12; k++)
			*ints[k] = jx_host->db_int(st, k);
		for (int k = 0; k < 8; k++) {
			const char *v = jx_host->db_text(st, 12 + k);

			*texts[k] = v == NULL ? NULL
			            : req     ? jx_host->strdup(req, v)
			                      : strdup(v);
		}
	}
	jx_host->db_finish(st);
	return rc == JX_DB_ROW ? 1 : rc == JX_DB_DONE ? 0 : -1;
}

/* The field of t named name, or NULL. */
static const struct jx_record_field *
rec_field(const struct rec_type *t, const char *name)
{
	for (int k = 0; k < t->t.nfields; k++)
		if (strcmp(t->t.fields[k].name, name) == 0)
			return &t->t.fields[k];
	return NULL;
}

cJSON *
rec_json(jx_req *req, jx_db *db, const struct rec_row *r, int hide_private)
{
	const struct rec_type *t = rec_type_find(r->type);
	cJSON *o = cJSON_CreateObject(), *fields = cJSON_Parse(r->fields),
	      *files = cJSON_CreateArray();
	char when[32], summary[256] = "";
	jx_stmt *st;

	if (!cJSON_IsObject(fields)) {
		cJSON_Delete(fields);
		fields = cJSON_CreateObject();
	}
	if (hide_private && t != NULL)
		for (int k = 0; k < t->t.nfields; k++)
			if (t->t.fields[k].is_private)
				cJSON_DeleteItemFromObjectCaseSensitive(
				    fields, t->t.fields[k].name);
	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddNumberToObject(o, "student_id", (double)r->student);
	st = jx_host->db_query(db, "SELECT name FROM persons WHERE id = ?", "i",
	                       r->student);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddStringToObject(o, "student_name",
		                        jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	cJSON_AddNumberToObject(o, "school_id", (double)r->school);
	cJSON_AddNumberToObject(o, "class_id", (double)r->klass);
	cJSON_AddStringToObject(o, "term", r->term);
	cJSON_AddStringToObject(o, "type", r->type);
	cJSON_AddStringToObject(o, "type_name",
	                        t ? rec_type_name(req, t) : r->type);
	cJSON_AddStringToObject(o, "title", r->title);
	if (t != NULL && t->t.summary != NULL)
		t->t.summary(fields, summary, sizeof(summary), t->t.ud);
	cJSON_AddStringToObject(o, "summary", summary);
	cJSON_AddItemToObject(o, "fields", fields);
	st = jx_host->db_query(
	    db,
	    "SELECT f.id, f.name, f.mime, f.size, rf.field, EXISTS (SELECT 1 "
	    "FROM file_variants v WHERE v.file_id = f.id AND v.variant = "
	    "'thumb') FROM records_files rf JOIN files f ON f.id = "
	    "rf.file_id WHERE rf.record_id = ? ORDER BY rf.position",
	    "i", r->id);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		const char *field = jx_host->db_text(st, 4);
		const struct jx_record_field *f =
		    t ? rec_field(t, field) : NULL;
		int64_t fid = jx_host->db_int(st, 0);
		cJSON *fo;

		if (hide_private && (f == NULL || f->is_private))
			continue;
		fo = cJSON_CreateObject();
		cJSON_AddNumberToObject(fo, "id", (double)fid);
		cJSON_AddStringToObject(fo, "name", jx_host->db_text(st, 1));
		cJSON_AddStringToObject(fo, "mime", jx_host->db_text(st, 2));
		cJSON_AddNumberToObject(fo, "size",
		                        (double)jx_host->db_int(st, 3));
		cJSON_AddStringToObject(fo, "field", field);
		cJSON_AddStringToObject(fo, "url",
		                        jx_host->sprintf(req,
		                                         "/api/v1/files/%lld",
		                                         (long long)fid));
		if (jx_host->db_int(st, 5))
			cJSON_AddStringToObject(
			    fo, "thumb",
			    jx_host->sprintf(req,
			                     "/api/v1/files/%lld?variant=thumb",
			                     (long long)fid));
		cJSON_AddItemToArray(files, fo);
	}
	jx_host->db_finish(st);
	cJSON_AddItemToObject(o, "files", files);
	cJSON_AddStringToObject(o, "status", r->status);
	if (!hide_private) {
		if (r->comment != NULL)
			cJSON_AddStringToObject(o, "comment", r->comment);
		else
			cJSON_AddNullToObject(o, "comment");
		cJSON_AddStringToObject(o, "created_role", r->created_role);
		cJSON_AddNumberToObject(o, "created_by", (double)r->created_by);
		if (r->reviewed_by != 0)
			cJSON_AddNumberToObject(o, "reviewed_by",
			                        (double)r->reviewed_by);
		else
			cJSON_AddNullToObject(o, "reviewed_by");
		cJSON_AddItemToObject(o, "reviewed_at",
		                      jxp_time(jx_host, r->reviewed_at));
		cJSON_AddItemToObject(o, "submitted_at",
		                      jxp_time(jx_host, r->submitted_at));
		if (r->ref != NULL)
			cJSON_AddStringToObject(o, "ref", r->ref);
	}
	jx_host->format_time(r->created_at, when, sizeof(when));
	cJSON_AddStringToObject(o, "created_at", when);
	cJSON_AddItemToObject(o, "updated_at",
	                      jxp_time(jx_host, r->updated_at));
	return o;
}

/* ---- field checks ----------------------------------------------------- */

/* 1 when s has no control character (but \n, \t when lines). */
static int
rec_text_ok(const char *s, int lines)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 &&
		    !(lines && (*p == '\n' || *p == '\t' || *p == '\r')))
			return 0;
	return 1;
}

/* 1 for a real YYYY-MM-DD date. */
static int
rec_date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	int y, m, d, n = 0;

	if (s == NULL || strlen(s) != 10 ||
	    sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    s[4] != '-' || s[7] != '-' || y < 1900 || y > 2200 || m < 1 ||
	    m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	for (int k = 0; k < 10; k++)
		if (k != 4 && k != 7 && (s[k] < '0' || s[k] > '9'))
			return 0;
	if (m == 2 && d == 29 &&
	    !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

static void
rec_err(cJSON *errs, const char *field, const char *message)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddItemToArray(errs, e);
}

/* A number in a message: 2, 2.5. */
static const char *
rec_num(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%g", v);
	return buf;
}

/*
 * Checks in (a JSON object, or NULL) against the field list of t into
 * out (what is stored: known fields only, normalised), adding
 * {"field","message"} to errs for each bad field, then the type's
 * validate hook when the list passed. req may be NULL (records.v1).
 * no_files: refuse files fields (records.v1 attaches none).
 */
static void
rec_check(jx_req *req, jx_db *db, int64_t student, const struct rec_type *rt,
          const cJSON *in, cJSON *out, cJSON *errs, int no_files)
{
	const struct jx_record_type *t = &rt->t;
	char a[32], b[32], buf[256];

	if (in != NULL && !cJSON_IsObject(in)) {
		rec_err(errs, "fields",
		        rec_msg(req, "应为对象", "must be an object"));
		return;
	}
	for (int k = 0; k < t->nfields; k++) {
		const struct jx_record_field *f = &t->fields[k];
		const cJSON *v =
		    in ? cJSON_GetObjectItemCaseSensitive(in, f->name) : NULL;
		int bounded = f->min != 0 || f->max != 0;
		int missing =
		    v == NULL || cJSON_IsNull(v) ||
		    (cJSON_IsString(v) && v->valuestring[0] == '\0') ||
		    (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0);

		if (missing) {
			if (f->required)
				rec_err(errs, f->name,
				        rec_msg(req, "必填", "is required"));
			continue;
		}
		switch (f->type) {
		case JX_RF_TEXT:
		case JX_RF_LONGTEXT: {
			size_t cap = f->type == JX_RF_TEXT ? REC_TEXT_MAX
			                                   : REC_LONGTEXT_MAX;
			size_t n;

			if (!cJSON_IsString(v)) {
				rec_err(
				    errs, f->name,
				    rec_msg(req, "应为文字", "must be text"));
				break;
			}
			n = jxp_chars(v->valuestring);
			if (!rec_text_ok(v->valuestring,
			                 f->type == JX_RF_LONGTEXT)) {
				rec_err(errs, f->name,
				        rec_msg(req, "含有不允许的字符",
				                "has characters not allowed"));
				break;
			}
			if (bounded && f->max > 0 && (double)n > f->max)
				cap = (size_t)f->max;
			if (n > cap) {
				snprintf(buf, sizeof(buf),
				         rec_msg(req, "最多 %zu 个字",
				                 "at most %zu characters"),
				         cap);
				rec_err(errs, f->name, buf);
				break;
			}
			if (bounded && (double)n < f->min) {
				snprintf(buf, sizeof(buf),
				         rec_msg(req, "至少 %s 个字",
				                 "at least %s characters"),
				         rec_num(a, sizeof(a), f->min));
				rec_err(errs, f->name, buf);
				break;
			}
			cJSON_AddStringToObject(out, f->name, v->valuestring);
			break;
		}
		case JX_RF_DATE:
			if (!cJSON_IsString(v) ||
			    !rec_date_ok(v->valuestring)) {
				rec_err(errs, f->name,
				        rec_msg(req, "日期格式应为 YYYY-MM-DD",
				                "must be a date YYYY-MM-DD"));
				break;
			}
			cJSON_AddStringToObject(out, f->name, v->valuestring);
			break;
		case JX_RF_NUMBER: {
			double d;
			char *end = NULL;

			if (cJSON_IsNumber(v))
				d = v->valuedouble;
			else if (cJSON_IsString(v)) {
				d = strtod(v->valuestring, &end);
				if (end == v->valuestring || *end != '\0')
					d = NAN;
			} else
				d = NAN;
			if (!isfinite(d)) {
				rec_err(errs, f->name,
				        rec_msg(req, "应为数字",
				                "must be a number"));
				break;
			}
			if (bounded && (d < f->min || d > f->max)) {
				snprintf(buf, sizeof(buf),
				         rec_msg(req, "应在 %s 到 %s 之间",
				                 "must be between %s and %s"),
				         rec_num(a, sizeof(a), f->min),
				         rec_num(b, sizeof(b), f->max));
				rec_err(errs, f->name, buf);
				break;
			}
			cJSON_AddNumberToObject(out, f->name, d);
			break;
		}
		case JX_RF_CHOICE: {
			int found = 0;

			if (cJSON_IsString(v))
				for (int c = 0; f->choices[c] != NULL; c++)
					if (strcmp(f->choices[c],
					           v->valuestring) == 0)
						found = 1;
			if (!found) {
				rec_err(errs, f->name,
				        rec_msg(req, "不是可选的值",
				                "is not one of the choices"));
				break;
			}
			cJSON_AddStringToObject(out, f->name, v->valuestring);
			break;
		}
		case JX_RF_FILES: {
			const cJSON *e;
			cJSON *ids;
			int n, bad = 0;
			double max =
			    bounded && f->max > 0 ? f->max : REC_FILES_MAX;

			if (no_files) {
				rec_err(
				    errs, f->name,
				    rec_msg(req, "此处不能附加文件",
				            "files cannot be attached here"));
				break;
			}
			if (!cJSON_IsArray(v)) {
				rec_err(errs, f->name,
				        rec_msg(req, "应为文件编号的列表",
				                "must be a list of file ids"));
				break;
			}
			n = cJSON_GetArraySize(v);
			if (n > max || n > REC_FILES_MAX ||
			    (bounded && n < f->min)) {
				snprintf(
				    buf, sizeof(buf),
				    rec_msg(req, "文件数应在 %s 到 %s 之间",
				            "must hold %s to %s files"),
				    rec_num(a, sizeof(a), bounded ? f->min : 0),
				    rec_num(b, sizeof(b), max));
				rec_err(errs, f->name, buf);
				break;
			}
			ids = cJSON_CreateArray();
			cJSON_ArrayForEach(e, v)
			{
				if (!cJSON_IsNumber(e) || e->valuedouble < 1 ||
				    e->valuedouble > 9e15 ||
				    e->valuedouble != floor(e->valuedouble))
					bad = 1;
				else
					cJSON_AddItemToArray(
					    ids,
					    cJSON_CreateNumber(e->valuedouble));
			}
			if (bad) {
				cJSON_Delete(ids);
				rec_err(errs, f->name,
				        rec_msg(req, "应为文件编号的列表",
				                "must be a list of file ids"));
				break;
			}
			cJSON_AddItemToObject(out, f->name, ids);
			break;
		}
		}
	}
	if (cJSON_GetArraySize(errs) == 0 && t->validate != NULL) {
		char field[64] = "", message[256] = "";

		if (t->validate(req, db, student, out, field, sizeof(field),
		                message, sizeof(message), t->ud) != 0)
			rec_err(errs, field[0] ? field : "fields",
			        message[0] ? message
			                   : rec_msg(req, "不符合要求",
			                             "is not accepted"));
	}
}

/* The title: 1 to REC_TITLE_MAX characters, one line. NULL when fine. */
static const char *
rec_title_error(jx_req *req, const cJSON *title)
{
	if (!cJSON_IsString(title) || title->valuestring[0] == '\0')
		return rec_msg(req, "必填", "is required");
	if (!rec_text_ok(title->valuestring, 0))
		return rec_msg(req, "含有不允许的字符",
		               "has characters not allowed");
	if (jxp_chars(title->valuestring) > REC_TITLE_MAX)
		return rec_msg(req, "最多 100 个字", "at most 100 characters");
	return NULL;
}

/* Replies 422 with the errors of errs (takes nothing). */
static int
rec_reply_errors(jx_req *req, const cJSON *errs)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, errs)
	{
		jx_host->problem_error(
		    req, 0, cJSON_GetObjectItem(e, "field")->valuestring,
		    cJSON_GetObjectItem(e, "message")->valuestring);
	}
	return jxp_invalid(jx_host, req, NULL);
}

/* Attaches the files of fields (already checked) to record id, in the
 * open transaction: 0, 422 after adding the field's error, or 500. */
static int
rec_attach(jx_req *req, jx_db *db, const struct rec_type *t, int64_t id,
           const cJSON *fields)
{
	int64_t position = 0;

	for (int k = 0; k < t->t.nfields; k++) {
		const struct jx_record_field *f = &t->t.fields[k];
		const cJSON *ids, *e;
		const char *ref;

		if (f->type != JX_RF_FILES)
			continue;
		ids = cJSON_GetObjectItemCaseSensitive(fields, f->name);
		ref = jx_host->sprintf(
		    req, f->is_private ? "record:%lld:p" : "record:%lld",
		    (long long)id);
		cJSON_ArrayForEach(e, ids)
		{
			int64_t fid = (int64_t)e->valuedouble;
			int rc = jx_host->file_attach(req, fid, ref);

			if (rc == -2)
				return 500;
			if (rc != 0) {
				jx_host->problem_error(
				    req, 0, f->name,
				    jx_host->sprintf(
				        req,
				        rec_msg(req, "没有您上传的文件 %lld",
				                "no file %lld of yours: upload "
				                "it first"),
				        (long long)fid));
				return 422;
			}
			if (jx_host->db_exec(
			        db,
			        "INSERT INTO records_files(record_id, file_id, "
			        "field, position) VALUES (?, ?, ?, ?) ON "
			        "CONFLICT DO NOTHING",
			        "iisi", id, fid, f->name, position++) < 0)
				return 500;
		}
	}
	return 0;
}

/* The ref a file of field sits under for record id (arena). */
static const char *
rec_ref(jx_req *req, const struct rec_type *t, int64_t id, const char *field)
{
	const struct jx_record_field *f = rec_field(t, field);

	return jx_host->sprintf(
	    req, f != NULL && f->is_private ? "record:%lld:p" : "record:%lld",
	    (long long)id);
}

/*
 * Replaces the files of record id by those of fields, in the open
 * transaction: the new ones are attached while the old still are (a
 * file the family's other member uploaded stays attachable through the
 * record), then the old ones no longer used are detached. 0, 422 after
 * adding the field's error, or 500.
 */
static int
rec_reattach(jx_req *req, jx_db *db, const struct rec_type *t, int64_t id,
             const cJSON *fields)
{
	cJSON *old = jx_host->db_rows(
	    db, "SELECT file_id, field FROM records_files WHERE record_id = ?",
	    "i", id);
	const cJSON *o;
	int rc;

	if (old == NULL ||
	    jx_host->db_exec(db,
	                     "DELETE FROM records_files WHERE record_id = ?",
	                     "i", id) < 0) {
		cJSON_Delete(old);
		return 500;
	}
	rc = rec_attach(req, db, t, id, fields);
	cJSON_ArrayForEach(o, (rc == 0 ? old : NULL))
	{
		int64_t fid = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(o, "file_id"));
		const char *field =
		    cJSON_GetStringValue(cJSON_GetObjectItem(o, "field"));
		const char *oldref = rec_ref(req, t, id, field);
		jx_stmt *st = jx_host->db_query(
		    db,
		    "SELECT field FROM records_files WHERE record_id = ? AND "
		    "file_id = ?",
		    "ii", id, fid);
		int keep = 0;

		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
			keep =
			    strcmp(rec_ref(req, t, id, jx_host->db_text(st, 0)),
			           oldref) == 0;
		jx_host->db_finish(st);
		if (!keep && jx_host->file_detach(req, fid, oldref) < 0) {
			rc = 500;
			break;
		}
	}
	cJSON_Delete(old);
	return rc;
}

/* Detaches every file of record id (both refs). -1 on error. */
static int
rec_detach_all(jx_req *req, jx_db *db, int64_t id)
{
	if (jx_host->file_detach(
	        req, 0, jx_host->sprintf(req, "record:%lld", (long long)id)) <
	        0 ||
	    jx_host->file_detach(
	        req, 0, jx_host->sprintf(req, "record:%lld:p", (long long)id)) <
	        0)
		return -1;
	return jx_host->db_exec(db,
	                        "DELETE FROM records_files WHERE record_id = ?",
	                        "i", id) < 0
	           ? -1
	           : 0;
}

int
rec_send_inapp(jx_db *db, jx_stmt *st, const char *tmpl, const cJSON *params,
               const char *ref)
{
	char to[24];
	int rc = st != NULL ? 0 : -1;

	while (rc == 0 && jx_host->db_step(st) == JX_DB_ROW) {
		struct jx_message m = {
		    .size = sizeof(m),
		    .channel = "inapp",
		    .to = to,
		    .template_name = tmpl,
		    .params = params,
		    .ref = ref,
		};

		snprintf(to, sizeof(to), "%lld",
		         (long long)jx_host->db_int(st, 0));
		if (jx_host->send(db, &m) <= 0)
			rc = -1;
	}
	jx_host->db_finish(st);
	return rc;
}

int
rec_notify_family(jx_db *db, const struct rec_row *r, const char *tmpl,
                  const char *comment)
{
	const struct rec_type *t = rec_type_find(r->type);
	cJSON *params = cJSON_CreateObject();
	char ref[40];
	jx_stmt *st;
	int rc;

	cJSON_AddNumberToObject(params, "record_id", (double)r->id);
	cJSON_AddNumberToObject(params, "student_id", (double)r->student);
	cJSON_AddStringToObject(params, "title", r->title);
	cJSON_AddStringToObject(params, "type", r->type);
	cJSON_AddStringToObject(params, "type_name",
	                        t ? t->t.name_zh : r->type);
	cJSON_AddStringToObject(params, "status", r->status);
	if (comment != NULL)
		cJSON_AddStringToObject(params, "comment", comment);
	snprintf(ref, sizeof(ref), "record:%lld", (long long)r->id);
	st = jx_host->db_query(db,
	                       "SELECT ? UNION SELECT parent_id FROM guardians "
	                       "WHERE student_id = ?",
	                       "ii", r->student, r->student);
	rc = rec_send_inapp(db, st, tmpl, params, ref);
	cJSON_Delete(params);
	return rc;
}

/* ---- POST /api/v1/students/{id}/records ------------------------------- */

/* Ends a record's write: rolls back on rc (422: the problems gathered,
 * else storage), else commits and replies r with status. */
static int
rec_written(jx_req *req, jx_db *db, int rc, int status, const struct rec_row *r)
{
	if (rc != 0) {
		jx_host->db_rollback(db);
		return rc == 422 ? jxp_invalid(jx_host, req, NULL)
		                 : jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_json(req, status, rec_json(req, db, r, 0));
}

/* The capacity in which the acting identity writes for a student at
 * school/klass: "student", "parent", "head_teacher", "teacher",
 * "school_admin", or NULL. */
const char *
rec_capacity(jx_req *req, int64_t student, int64_t school, int64_t klass)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (i == NULL)
		return NULL;
	if (strcmp(i->role, "student") == 0)
		return i->student_id == student ? "student" : NULL;
	if (strcmp(i->role, "parent") == 0)
		return i->student_id == student ? "parent" : NULL;
	if (strcmp(i->role, "school_admin") == 0)
		return i->school_id == school ? "school_admin" : NULL;
	if (strcmp(i->role, "teacher") == 0 && i->school_id == school &&
	    klass > 0) {
		for (int k = 0; k < i->nhead_of_class_ids; k++)
			if (i->head_of_class_ids[k] == klass)
				return "head_teacher";
		for (int k = 0; k < i->nclass_ids; k++)
			if (i->class_ids[k] == klass)
				return "teacher";
	}
	return NULL;
}

/* 1 when role is in the comma-separated list. */
static int
rec_in_list(const char *list, const char *role)
{
	size_t n = strlen(role);

	for (const char *p = list; p != NULL && (p = strstr(p, role)) != NULL;
	     p += n)
		if ((p == list || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

/* A head teacher writes as head teacher, or as a teacher of the class. */
static int
rec_capacity_allowed(const char *creators, const char *capacity)
{
	return rec_in_list(creators, capacity) ||
	       (strcmp(capacity, "head_teacher") == 0 &&
	        rec_in_list(creators, "teacher"));
}

int
route_create(jx_req *req, void *ud)
{
	int64_t student = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	const struct jx_identity *i = jx_host->identity(req);
	int64_t school, klass, district, id, now = jx_host->now();
	const struct rec_type *t;
	const char *capacity, *term, *err;
	char *creators, termbuf[16], *text;
	cJSON *body, *out, *errs;
	int rc, approved, open;
	struct rec_row r;

	(void)ud;
	if (!rec_may_read(req, student))
		return jxp_not_found(jx_host, req);
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	rc = rec_student_place(db, student, &school, &klass, &district);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	if (rc == 0)
		return jxp_conflict(jx_host, req,
		                    "The student is not in school.");
	t = rec_type_find(
	    cJSON_GetStringValue(cJSON_GetObjectItem(body, "type")));
	if (t == NULL) {
		jx_host->problem_error(
		    req, 0, "type",
		    rec_msg(req, "没有这种记录类型", "no such record type"));
		return jxp_invalid(jx_host, req, NULL);
	}
	capacity = rec_capacity(req, student, school, klass);
	creators = rec_creators(req, db, district, t);
	if (creators == NULL)
		return jxp_storage_error(jx_host, req);
	if (capacity == NULL || !rec_capacity_allowed(creators, capacity))
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    rec_msg(req, "您不能添加这种记录。",
		            "You may not add records of this type."));
	term = cJSON_GetStringValue(cJSON_GetObjectItem(body, "term"));
	if (term == NULL && cJSON_GetObjectItem(body, "term") != NULL &&
	    !cJSON_IsNull(cJSON_GetObjectItem(body, "term")))
		term = "?"; /* not a string: refused below */
	if (term == NULL || *term == '\0') {
		if (rec_term_of(db, district, now, termbuf, sizeof(termbuf)) !=
		    0)
			return jxp_storage_error(jx_host, req);
		term = termbuf;
	} else if (!rec_term_valid(term)) {
		jx_host->problem_error(
		    req, 0, "term",
		    rec_msg(req, "学期格式应为 2026-2027-1",
		            "must be a term like 2026-2027-1"));
		return jxp_invalid(jx_host, req, NULL);
	}
	open = rec_term_open(db, district, school, term);
	if (open < 0)
		return jxp_storage_error(jx_host, req);
	if (!open)
		return rec_term_closed(req, term);
	errs = cJSON_CreateArray();
	out = cJSON_CreateObject();
	err = rec_title_error(req, cJSON_GetObjectItem(body, "title"));
	if (err != NULL)
		rec_err(errs, "title", err);
	rec_check(req, db, student, t, cJSON_GetObjectItem(body, "fields"), out,
	          errs, 0);
	if (cJSON_GetArraySize(errs) > 0) {
		rc = rec_reply_errors(req, errs);
		cJSON_Delete(errs);
		cJSON_Delete(out);
		return rc;
	}
	cJSON_Delete(errs);
	approved =
	    strcmp(capacity, "student") != 0 && strcmp(capacity, "parent") != 0;
	text = cJSON_PrintUnformatted(out);
	if (text == NULL || jx_host->db_begin(db) != 0) {
		cJSON_free(text);
		cJSON_Delete(out);
		return jxp_storage_error(jx_host, req);
	}
	if (t->t.once_per_term) {
		int64_t n = jxp_one(
		    jx_host, db,
		    "SELECT COUNT(*) FROM records_records WHERE student_id = ? "
		    "AND term = ? AND type = ? AND status <> 'rejected'",
		    "iss", student, term, t->t.code);

		if (n != 0) {
			cJSON_free(text);
			cJSON_Delete(out);
			jx_host->db_rollback(db);
			if (n < 0)
				return jxp_storage_error(jx_host, req);
			jx_host->problem_error(
			    req, 0, "type",
			    rec_msg(req, "本学期已有这种记录",
			            "one per term: this term has one"));
			return jxp_conflict(
			    jx_host, req,
			    rec_msg(req, "每学期只能有一条这种记录。",
			            "Only one record of this type per term."));
		}
	}
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO records_records(student_id, school_id, class_id, "
	    "district_id, term, type, title, fields, status, created_by, "
	    "created_role, record_date, created_at, updated_at) VALUES (?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "iiiisssssisiii", student, school, klass, district, term, t->t.code,
	    cJSON_GetObjectItem(body, "title")->valuestring, text,
	    approved ? "approved" : "draft", i->person_id, capacity, now, now,
	    now);
	cJSON_free(text);
	rc = id > 0 ? rec_attach(req, db, t, id, out) : 500;
	cJSON_Delete(out);
	if (rc == 0 && rec_load(req, db, id, &r) != 1)
		rc = 500;
	if (rc == 0 && rec_created_event(db, &r) != 0)
		rc = 500;
	if (rc == 0 && approved &&
	    rec_notify_family(db, &r, "record_approved", NULL) != 0)
		rc = 500;
	return rec_written(req, db, rc, 201, &r);
}

/* ---- records.created ------------------------------------------------- */

int
rec_created_event(jx_db *db, const struct rec_row *r)
{
	cJSON *ev = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(ev, "record_id", (double)r->id);
	cJSON_AddNumberToObject(ev, "student_id", (double)r->student);
	cJSON_AddNumberToObject(ev, "school_id", (double)r->school);
	cJSON_AddNumberToObject(ev, "class_id", (double)r->klass);
	cJSON_AddNumberToObject(ev, "district_id", (double)r->district);
	cJSON_AddStringToObject(ev, "type", r->type ? r->type : "");
	cJSON_AddNumberToObject(ev, "created_by", (double)r->created_by);
	cJSON_AddStringToObject(ev, "created_role",
	                        r->created_role ? r->created_role : "");
	cJSON_AddStringToObject(ev, "status", r->status ? r->status : "");
	cJSON_AddNumberToObject(
	    ev, "files",
	    (double)jxp_one(jx_host, db,
	                    "SELECT COUNT(*) FROM records_files WHERE "
	                    "record_id = ?",
	                    "i", r->id));
	cJSON_AddNumberToObject(ev, "at", (double)jx_host->now());
	rc = jx_host->publish(db, "records.created", ev);
	cJSON_Delete(ev);
	return rc;
}

/* ---- records.v1 create ------------------------------------------------ */

int64_t
rec_service_create(jx_db *db, const struct jx_record_new *n, char *err,
                   size_t errlen)
{
	const struct rec_type *t;
	int64_t school, klass, district, id, now;
	char termbuf[16], *text = NULL;
	const char *term;
	cJSON *out = NULL, *errs = NULL;
	struct rec_row r;

	if (n == NULL ||
	    n->size < offsetof(struct jx_record_new, ref) + sizeof(n->ref) ||
	    db == NULL) {
		snprintf(err, errlen, "bad request");
		return -1;
	}
	t = rec_type_find(n->type);
	if (t == NULL) {
		snprintf(err, errlen, "type: no such record type");
		return -1;
	}
	if (n->ref != NULL && *n->ref != '\0') {
		int64_t old = jxp_one(jx_host, db,
		                      "SELECT id FROM records_records WHERE "
		                      "type = ? AND ref = ?",
		                      "ss", t->t.code, n->ref);

		if (old != 0)
			return old;
	}
	switch (rec_student_place(db, n->student, &school, &klass, &district)) {
	case 1: break;
	case 0: snprintf(err, errlen, "student: not in school"); return -1;
	default: snprintf(err, errlen, "storage error"); return -1;
	}
	now = jx_host->now();
	term = n->term;
	if (term == NULL) {
		if (rec_term_of(db, district, n->date > 0 ? n->date : now,
		                termbuf, sizeof(termbuf)) != 0) {
			snprintf(err, errlen, "term: the rule failed");
			return -1;
		}
		term = termbuf;
	} else if (!rec_term_valid(term)) {
		snprintf(err, errlen, "term: must be like 2026-2027-1");
		return -1;
	}
	if (n->title == NULL || *n->title == '\0' ||
	    !rec_text_ok(n->title, 0) || jxp_chars(n->title) > REC_TITLE_MAX) {
		snprintf(err, errlen, "title: required, one line, at most 100");
		return -1;
	}
	errs = cJSON_CreateArray();
	out = cJSON_CreateObject();
	rec_check(NULL, db, n->student, t, n->fields, out, errs, 1);
	if (cJSON_GetArraySize(errs) > 0) {
		cJSON *e = cJSON_GetArrayItem(errs, 0);

		snprintf(err, errlen, "%s: %s",
		         cJSON_GetObjectItem(e, "field")->valuestring,
		         cJSON_GetObjectItem(e, "message")->valuestring);
		cJSON_Delete(errs);
		cJSON_Delete(out);
		return -1;
	}
	cJSON_Delete(errs);
	text = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO records_records(student_id, school_id, class_id, "
	    "district_id, term, type, title, fields, status, created_by, "
	    "created_role, ref, record_date, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'system', ?, ?, ?, ?)",
	    "iiiisssssisiii", n->student, school, klass, district, term,
	    t->t.code, n->title, text, n->approved ? "approved" : "draft",
	    n->by_person, n->ref != NULL && *n->ref != '\0' ? n->ref : NULL,
	    n->date > 0 ? n->date : now, now, now);
	cJSON_free(text);
	if (id <= 0) {
		snprintf(err, errlen, "storage error: %s",
		         jx_host->db_errmsg(db));
		return -1;
	}
	{
		struct rec_row e = {.id = id,
		                    .student = n->student,
		                    .school = school,
		                    .klass = klass,
		                    .district = district,
		                    .created_by = n->by_person,
		                    .type = t->t.code,
		                    .created_role = "system",
		                    .status =
		                        n->approved ? "approved" : "draft"};

		if (rec_created_event(db, &e) != 0) {
			snprintf(err, errlen, "refused by a subscriber");
			return -1;
		}
	}
	if (n->approved) {
		int ok =
		    rec_load(NULL, db, id, &r) == 1 &&
		    rec_notify_family(db, &r, "record_approved", NULL) == 0;

		free((void *)r.term);
		free((void *)r.type);
		free((void *)r.title);
		free((void *)r.fields);
		free((void *)r.status);
		free((void *)r.comment);
		free((void *)r.created_role);
		free((void *)r.ref);
		if (!ok) {
			snprintf(err, errlen, "storage error (notify)");
			return -1;
		}
	}
	return id;
}

/* ---- reading ---------------------------------------------------------- */

int
route_list(jx_req *req, void *ud)
{
	int64_t student = jx_host->req_param_id(req, "id"), limit, after;
	jx_db *db = jx_host->req_db(req);
	const struct jx_identity *i = jx_host->identity(req);
	const char *type = jx_host->req_query(req, "type");
	const char *term = jx_host->req_query(req, "term");
	const char *status = jx_host->req_query(req, "status");
	cJSON *items = cJSON_CreateArray();
	jx_stmt *st;
	int family;

	(void)ud;
	if (!rec_may_read(req, student)) {
		cJSON_Delete(items);
		return jxp_not_found(jx_host, req);
	}
	family = rec_is_family(req, student);
	jxp_page(jx_host, req, &limit, &after);
	st = jx_host->db_query(
	    db,
	    "SELECT id FROM records_records WHERE student_id = ? AND (? = 0 OR "
	    "id < ?) AND (? IS NULL OR type = ?) AND (? IS NULL OR term = ?) "
	    "AND (? IS NULL OR status = ?) AND (status <> 'draft' OR ? = 1 OR "
	    "created_by = ?) ORDER BY id DESC LIMIT ?",
	    "iiissssssiii", student, after, after, type, type, term, term,
	    status, status, (int64_t)family, i->person_id, limit + 1);
	if (st == NULL) {
		cJSON_Delete(items);
		return jxp_storage_error(jx_host, req);
	}
	{
		int64_t ids[501];
		int n = 0;

		while (n < 501 && jx_host->db_step(st) == JX_DB_ROW)
			ids[n++] = jx_host->db_int(st, 0);
		jx_host->db_finish(st);
		for (int k = 0; k < n; k++) {
			struct rec_row r;

			if (rec_load(req, db, ids[k], &r) == 1)
				cJSON_AddItemToArray(items,
				                     rec_json(req, db, &r, 0));
		}
	}
	return jx_host->reply_json(req, 200, jxp_items(items, limit, "id"));
}

/* Loads {id} for the acting identity: 1 with r, else the reply's
 * status (404 when not visible, 500). */
static int
rec_load_visible(jx_req *req, jx_db *db, struct rec_row *r, int *status)
{
	int64_t id = jx_host->req_param_id(req, "id");
	int rc = id > 0 ? rec_load(req, db, id, r) : 0;

	if (rc < 0) {
		*status = jxp_storage_error(jx_host, req);
		return 0;
	}
	if (rc == 0 || !rec_visible(req, r)) {
		*status = jxp_not_found(jx_host, req);
		return 0;
	}
	return 1;
}

int
route_get(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	struct rec_row r;
	int status;

	(void)ud;
	if (!rec_load_visible(req, db, &r, &status))
		return status;
	return jx_host->reply_json(req, 200, rec_json(req, db, &r, 0));
}

/* 1 when r may be edited now; else the reply's status in *status. */
static int
rec_edit_check(jx_req *req, jx_db *db, const struct rec_row *r,
               const char *statuses, int *status)
{
	int open;

	if (!rec_may_edit(req, r)) {
		*status = jxp_forbidden(jx_host, req);
		return 0;
	}
	if (!rec_in_list(statuses, r->status)) {
		*status = jxp_conflict(
		    jx_host, req,
		    jx_host->sprintf(req,
		                     rec_msg(req,
		                             "记录的状态是 %s，不能这样做。",
		                             "The record is %s: not possible."),
		                     r->status));
		return 0;
	}
	open = rec_term_open(db, r->district, r->school, r->term);
	if (open <= 0) {
		*status = open < 0 ? jxp_storage_error(jx_host, req)
		                   : rec_term_closed(req, r->term);
		return 0;
	}
	return 1;
}

int
route_patch(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	const struct rec_type *t;
	struct rec_row r;
	cJSON *body, *out, *errs, *title, *fields;
	char *text;
	int status, rc;

	(void)ud;
	if (!rec_load_visible(req, db, &r, &status))
		return status;
	if (!rec_edit_check(req, db, &r, "draft,rejected", &status))
		return status;
	t = rec_type_find(r.type);
	if (t == NULL)
		return jxp_conflict(jx_host, req,
		                    "The record's type is not registered.");
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	title = cJSON_GetObjectItem(body, "title");
	fields = cJSON_GetObjectItem(body, "fields");
	errs = cJSON_CreateArray();
	out = cJSON_CreateObject();
	if (title != NULL) {
		const char *e = rec_title_error(req, title);

		if (e != NULL)
			rec_err(errs, "title", e);
	}
	if (fields == NULL) {
		cJSON *old = cJSON_Parse(r.fields);

		rec_check(req, db, r.student, t, old, out, errs, 0);
		cJSON_Delete(old);
	} else
		rec_check(req, db, r.student, t, fields, out, errs, 0);
	if (cJSON_GetArraySize(errs) > 0) {
		rc = rec_reply_errors(req, errs);
		cJSON_Delete(errs);
		cJSON_Delete(out);
		return rc;
	}
	cJSON_Delete(errs);
	text = cJSON_PrintUnformatted(out);
	if (text == NULL || jx_host->db_begin(db) != 0) {
		cJSON_free(text);
		cJSON_Delete(out);
		return jxp_storage_error(jx_host, req);
	}
	rc = jx_host->db_exec(
	         db,
	         "UPDATE records_records SET title = COALESCE(?, title), "
	         "fields = ?, status = 'draft', review_comment = NULL, "
	         "updated_at = ? WHERE id = ? AND status IN ('draft', "
	         "'rejected')",
	         "ssii", title ? title->valuestring : NULL, text,
	         jx_host->now(), r.id) == 1
	         ? 0
	         : 500;
	cJSON_free(text);
	if (rc == 0)
		rc = rec_reattach(req, db, t, r.id, out);
	cJSON_Delete(out);
	if (rc == 0 && rec_load(req, db, r.id, &r) != 1)
		rc = 500;
	return rec_written(req, db, rc, 200, &r);
}

int
route_delete(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	struct rec_row r;
	int status;

	(void)ud;
	if (!rec_load_visible(req, db, &r, &status))
		return status;
	if (!rec_edit_check(req, db, &r, "draft", &status))
		return status;
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (rec_detach_all(req, db, r.id) != 0 ||
	    jx_host->db_exec(db,
	                     "DELETE FROM records_records WHERE id = ? AND "
	                     "status = 'draft'",
	                     "i", r.id) != 1) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_json(req, 204, NULL);
}

int
route_submit(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	struct rec_row r;
	int status;
	int64_t now = jx_host->now();

	(void)ud;
	if (!rec_load_visible(req, db, &r, &status))
		return status;
	if (!rec_edit_check(req, db, &r, "draft,rejected", &status))
		return status;
	if (jx_host->db_exec(db,
	                     "UPDATE records_records SET status = "
	                     "'submitted', submitted_at = ?, updated_at = ? "
	                     "WHERE id = ? AND status IN ('draft', "
	                     "'rejected')",
	                     "iii", now, now, r.id) != 1)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_json(req, 204, NULL);
}

/* ---- files ------------------------------------------------------------ */

int
rec_file_visible(jx_req *req, const char *ref, void *ud)
{
	long long id = 0;
	int used = 0, priv;
	jx_db *db = jx_host->req_db(req);
	struct rec_row r;

	(void)ud;
	if (ref == NULL || sscanf(ref, "record:%lld%n", &id, &used) != 1 ||
	    id <= 0)
		return 0;
	priv = strcmp(ref + used, ":p") == 0;
	if (!priv && ref[used] != '\0')
		return 0;
	if (rec_load(req, db, (int64_t)id, &r) != 1)
		return 0;
	if (rec_visible(req, &r))
		return 1;
	return !priv && rec_publicity_reader(req, db, r.id);
}
