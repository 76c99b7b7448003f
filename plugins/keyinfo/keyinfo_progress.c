/*
 * keyinfo_progress.c — completion progress per school and class (and per
 * school of a district), the incomplete list as .xlsx, and reconciliation
 * with the registry's export sheet.
 *
 * Progress reads the stored counts (keyinfo_counts per class,
 * keyinfo_school_counts per school), which a refresh of
 * the school recounts from the stored results; a school whose results are
 * out of date is refreshed before its progress is shown, so the numbers
 * a school admin sees are never behind their own edits.
 */
#include "keyinfo.h"
#include "jxplug_xlsx.h"
#include "sheet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Students whose stored results a read may bring up to date itself; a
 * school further behind (a large import, a rule change of a large
 * school) is left to the background refresh, and its progress says how
 * many results are pending (stale). */
#define KI_FRESH_MAX 5000

/*
 * Brings the school's stored results up to date when they are behind by
 * at most KI_FRESH_MAX students: 0 or -1; *stale receives the students
 * whose results are still pending.
 */
int
ki_fresh(jx_db *db, int64_t school, int64_t *stale)
{
	int64_t version, behind, due;

	*stale = 0;
	version = jx_host->rules_version(
	    db,
	    jxp_one(jx_host, db, "SELECT district_id FROM schools WHERE id = ?",
	            "i", school));
	/* Changes of students mark the school dirty (events); students
	 * without a result (written before this plugin) show as a count
	 * that differs from the school's roll (an index range, no scan of
	 * the results). */
	behind = jxp_one(
	    jx_host, db,
	    "SELECT (SELECT COUNT(*) FROM keyinfo_dirty WHERE school_id = ?) + "
	    "(SELECT COUNT(*) FROM keyinfo_counts WHERE school_id = ? AND "
	    "(rules_version != ? OR stale > 0)) + ((SELECT COUNT(*) FROM "
	    "students WHERE school_id = ? AND status = 'in_school') != "
	    "(SELECT COALESCE(SUM(total), 0) FROM keyinfo_counts WHERE "
	    "school_id = ?))",
	    "iiiii", school, school, version, school, school);
	if (behind == 0)
		return 0;
	if (behind < 0)
		return -1;
	/* How many: the stale rows, the classes of another version, the
	 * students not counted. */
	due = jxp_one(
	    jx_host, db,
	    "SELECT (SELECT COUNT(*) FROM keyinfo_results WHERE school_id = ? "
	    "AND stale > 0) + (SELECT COALESCE(SUM(total), 0) FROM "
	    "keyinfo_counts WHERE school_id = ? AND rules_version != ?) + "
	    "ABS((SELECT COUNT(*) FROM students WHERE school_id = ? AND "
	    "status = 'in_school') - (SELECT COALESCE(SUM(total), 0) FROM "
	    "keyinfo_counts WHERE school_id = ?))",
	    "iiiii", school, school, version, school, school);
	if (due < 0)
		return -1;
	if (due > KI_FRESH_MAX) {
		*stale = due;
		return 0;
	}
	if (jx_host->db_begin(db) != 0)
		return -1;
	if (ki_refresh_school(db, school, 0) < 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return -1;
	}
	return 0;
}

static void
ki_add_counts(cJSON *o, int64_t total, int64_t complete, int64_t pending)
{
	cJSON_AddNumberToObject(o, "total", (double)total);
	cJSON_AddNumberToObject(o, "complete", (double)complete);
	cJSON_AddNumberToObject(o, "incomplete", (double)(total - complete));
	cJSON_AddNumberToObject(o, "pending", (double)pending);
	cJSON_AddNumberToObject(
	    o, "percent", total > 0 ? (double)(complete * 100 / total) : 0);
}

static cJSON *
ki_school_progress(jx_req *req, jx_db *db, int64_t school, int64_t stale)
{
	int64_t total = 0, complete = 0, pending, district;
	cJSON *o = cJSON_CreateObject(), *classes, *c;
	jx_stmt *st;

	district =
	    jxp_one(jx_host, db, "SELECT district_id FROM schools WHERE id = ?",
	            "i", school);
	cJSON_AddNumberToObject(o, "school_id", (double)school);
	cJSON_AddNumberToObject(o, "rules_version",
	                        (double)jx_host->rules_version(db, district));
	cJSON_AddNumberToObject(o, "stale", (double)stale);
	classes = cJSON_CreateArray();
	/* Every class of the school (an empty one shows 0 of 0), and the
	 * students without a class as class 0 when there are any. */
	st = jx_host->db_query(
	    db,
	    "SELECT c.id, c.grade, c.name, COALESCE(k.total, 0), "
	    "COALESCE(k.complete, 0), (SELECT COUNT(DISTINCT ch.student_id) "
	    "FROM keyinfo_changes ch JOIN students s ON s.person_id = "
	    "ch.student_id WHERE ch.school_id = c.school_id AND ch.status = "
	    "'pending' AND s.class_id = c.id AND s.status = 'in_school') FROM "
	    "classes c LEFT JOIN keyinfo_counts k ON k.school_id = "
	    "c.school_id AND k.class_id = c.id WHERE c.school_id = ? UNION "
	    "ALL SELECT 0, 0, '', k.total, k.complete, (SELECT COUNT(DISTINCT "
	    "ch.student_id) FROM keyinfo_changes ch JOIN students s ON "
	    "s.person_id = ch.student_id WHERE ch.school_id = k.school_id AND "
	    "ch.status = 'pending' AND s.class_id IS NULL AND s.status = "
	    "'in_school') FROM keyinfo_counts k WHERE k.school_id = ? AND "
	    "k.class_id = 0 ORDER BY 2, 3",
	    "ii", school, school);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int grade = (int)jx_host->db_int(st, 1);

		c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "class_id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(
		    c, "name",
		    grade > 0 ? jx_host->sprintf(req, "%s%s",
		                                 ki_org->grade_label(grade),
		                                 jx_host->db_text(st, 2))
		              : jx_host->t(req, "keyinfo.no_class"));
		cJSON_AddNumberToObject(c, "grade", grade);
		ki_add_counts(c, jx_host->db_int(st, 3), jx_host->db_int(st, 4),
		              jx_host->db_int(st, 5));
		total += jx_host->db_int(st, 3);
		complete += jx_host->db_int(st, 4);
		cJSON_AddItemToArray(classes, c);
	}
	jx_host->db_finish(st);
	pending = jxp_one(jx_host, db,
	                  "SELECT COUNT(DISTINCT ch.student_id) FROM "
	                  "keyinfo_changes ch JOIN students s ON s.person_id "
	                  "= ch.student_id WHERE ch.school_id = ? AND "
	                  "ch.status = 'pending' AND s.status = 'in_school' "
	                  "AND s.school_id = ch.school_id",
	                  "i", school);
	ki_add_counts(o, total, complete, pending);
	cJSON_AddItemToObject(o, "classes", classes);
	return o;
}

/* The school's progress (API and page), its results brought up to date
 * first when a read may. */
static int
ki_school_reply(jx_req *req, int64_t school)
{
	jx_db *db = jx_host->req_db(req);
	int64_t stale;

	if (ki_fresh(db, school, &stale) != 0)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_view(req, 200, "keyinfo/progress",
	                           ki_school_progress(req, db, school, stale));
}

int
route_school_progress(jx_req *req, void *ud)
{
	int64_t school = jx_host->req_param_id(req, "sid");
	int rc;

	(void)ud;
	if ((rc = ki_manage_school(req, school)) != 0)
		return rc;
	return ki_school_reply(req, school);
}

static cJSON *
ki_district_progress(jx_req *req, jx_db *db, int64_t district)
{
	int64_t total = 0, complete = 0, pending = 0, version;
	cJSON *o = cJSON_CreateObject(), *schools, *c, *pend;
	jx_stmt *st;

	(void)req;
	version = jx_host->rules_version(db, district);
	cJSON_AddNumberToObject(o, "district_id", (double)district);
	cJSON_AddNumberToObject(o, "rules_version", (double)version);
	cJSON_AddNumberToObject(
	    o, "stale",
	    (double)jxp_one(
	        jx_host, db,
	        "SELECT (SELECT COALESCE(SUM(total), 0) FROM "
	        "keyinfo_school_counts WHERE district_id = ? AND rules_version "
	        "!= ?) + (SELECT COUNT(*) FROM keyinfo_results WHERE school_id "
	        "IN (SELECT school_id FROM keyinfo_dirty WHERE district_id = "
	        "?) "
	        "AND stale > 0)",
	        "iii", district, version, district));
	/* The schools with pending changes: one indexed query for the
	 * district, not one per school. */
	pend = cJSON_CreateObject();
	st = jx_host->db_query(
	    db,
	    "SELECT school_id, COUNT(DISTINCT student_id) FROM "
	    "keyinfo_changes WHERE district_id = ? AND status = "
	    "'pending' GROUP BY school_id",
	    "i", district);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		char key[24];

		snprintf(key, sizeof(key), "%lld",
		         (long long)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(pend, key,
		                        (double)jx_host->db_int(st, 1));
	}
	jx_host->db_finish(st);
	schools = cJSON_CreateArray();
	st = jx_host->db_query(
	    db,
	    "SELECT sc.id, sc.name, COALESCE(k.total, 0), "
	    "COALESCE(k.complete, 0) FROM schools sc LEFT JOIN "
	    "keyinfo_school_counts k ON k.school_id = sc.id WHERE "
	    "sc.district_id = ? ORDER BY sc.code",
	    "i", district);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		char key[24];
		const cJSON *pn;
		int64_t np;

		snprintf(key, sizeof(key), "%lld",
		         (long long)jx_host->db_int(st, 0));
		pn = cJSON_GetObjectItemCaseSensitive(pend, key);
		np = pn ? (int64_t)pn->valuedouble : 0;
		c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "school_id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(c, "name", jx_host->db_text(st, 1));
		ki_add_counts(c, jx_host->db_int(st, 2), jx_host->db_int(st, 3),
		              np);
		total += jx_host->db_int(st, 2);
		complete += jx_host->db_int(st, 3);
		pending += np;
		cJSON_AddItemToArray(schools, c);
	}
	cJSON_Delete(pend);
	jx_host->db_finish(st);
	ki_add_counts(o, total, complete, pending);
	cJSON_AddItemToObject(o, "schools", schools);
	return o;
}

int
route_district_progress(jx_req *req, void *ud)
{
	int64_t district = jx_host->req_param_id(req, "did");

	(void)ud;
	if (district <= 0 || !jx_host->may(req, JX_SEE_DISTRICT, district) ||
	    jxp_one(jx_host, jx_host->req_db(req),
	            "SELECT COUNT(*) FROM districts WHERE "
	            "id = ?",
	            "i", district) != 1)
		return jxp_not_found(jx_host, req);
	if (!jxp_role(jx_host, req, "district_admin,city_admin"))
		return jxp_forbidden(jx_host, req);
	return jx_host->reply_view(
	    req, 200, "keyinfo/district",
	    ki_district_progress(req, jx_host->req_db(req), district));
}

/* /keyinfo: the school admin's school, or the district admin's
 * district. */
int
page_progress(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);

	(void)ud;
	if (i != NULL && strcmp(i->role, "school_admin") == 0)
		return ki_school_reply(req, i->school_id);
	if (i != NULL && strcmp(i->role, "district_admin") == 0)
		return jx_host->reply_view(
		    req, 200, "keyinfo/district",
		    ki_district_progress(req, db, i->district_id));
	return jxp_not_found(jx_host, req);
}

/* ---- the incomplete list ---------------------------------------------- */

int
route_incomplete(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	int64_t school = jx_host->req_param_id(req, "sid"), klass = 0, stale;
	const char *cq = jx_host->req_query(req, "class_id");
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *head;
	char path[4096];
	jx_stmt *st;
	lxw_row_t row = 1;
	int rc;

	(void)ud;
	if ((rc = ki_manage_school(req, school)) != 0)
		return rc;
	if (cq != NULL && *cq != '\0') {
		klass = atoll(cq);
		if (klass <= 0 ||
		    jxp_one(jx_host, db,
		            "SELECT COUNT(*) FROM classes WHERE id = ? AND "
		            "school_id = ?",
		            "ii", klass, school) != 1)
			return jxp_not_found(jx_host, req);
	}
	/* (a school far behind is listed as its stored results stand) */
	if (ki_fresh(db, school, &stale) != 0)
		return jxp_storage_error(jx_host, req);
	wb = jxp_workbook(jx_host, req, path, sizeof(path), 1);
	if (wb == NULL)
		return jxp_storage_error(jx_host, req);
	ws = workbook_add_worksheet(wb, "信息不完整名单");
	head = workbook_add_format(wb);
	format_set_bold(head);
	worksheet_set_column(ws, 0, 1, 16, NULL);
	worksheet_set_column(ws, 2, 3, 12, NULL);
	worksheet_set_column(ws, 4, 4, 60, NULL);
	{
		static const char *const cols[] = {"学生姓名", "班级", "班主任",
		                                   "字段", "原因"};
		for (int k = 0; k < 5; k++)
			worksheet_write_string(ws, 0, (lxw_col_t)k, cols[k],
			                       head);
	}
	st = jx_host->db_query(
	    db,
	    "SELECT p.name, COALESCE(c.grade, 0), COALESCE(c.name, ''), "
	    "COALESCE(ht.name, ''), s.national_no_hash IS NULL, s.city_no IS "
	    "NULL, "
	    "s.id_number_enc IS NULL, r.problems FROM keyinfo_results r JOIN "
	    "students s ON s.person_id = r.student_id JOIN persons p ON p.id "
	    "= r.student_id LEFT JOIN classes c ON c.id = s.class_id LEFT "
	    "JOIN persons ht ON ht.id = c.head_teacher_id WHERE r.school_id = "
	    "? AND r.complete = 0 AND (? = 0 OR r.class_id = ?) ORDER BY "
	    "c.grade, c.name, p.name, r.student_id",
	    "iii", school, klass, klass);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		const char *name = jx_host->db_text(st, 0);
		int grade = (int)jx_host->db_int(st, 1);
		const char *cls =
		    grade > 0 ? jx_host->sprintf(req, "%s%s",
		                                 ki_org->grade_label(grade),
		                                 jx_host->db_text(st, 2))
		              : "";
		const char *ht = jx_host->db_text(st, 3);
		cJSON *problems = cJSON_Parse(jx_host->db_text(st, 7)), *p;

		for (int k = 0; k < KI_NFIELDS; k++) {
			if (!jx_host->db_int(st, 4 + k))
				continue;
			worksheet_write_string(ws, row, 0, name, NULL);
			worksheet_write_string(ws, row, 1, cls, NULL);
			worksheet_write_string(ws, row, 2, ht, NULL);
			worksheet_write_string(
			    ws, row, 3, ki_field_label(ki_fields[k]), NULL);
			worksheet_write_string(ws, row++, 4, "未填写", NULL);
		}
		cJSON_ArrayForEach(p, problems)
		{
			const cJSON *l = cJSON_GetObjectItem(p, "level");

			if (!cJSON_IsString(l) ||
			    strcmp(l->valuestring, "error") != 0)
				continue;
			worksheet_write_string(ws, row, 0, name, NULL);
			worksheet_write_string(ws, row, 1, cls, NULL);
			worksheet_write_string(ws, row, 2, ht, NULL);
			worksheet_write_string(
			    ws, row, 3,
			    ki_field_label(
			        cJSON_GetObjectItem(p, "field")->valuestring),
			    NULL);
			worksheet_write_string(
			    ws, row++, 4,
			    /* the sheet is in Chinese, as its columns */
			    ki_problem_message(NULL, p), NULL);
		}
		cJSON_Delete(problems);
	}
	jx_host->db_finish(st);
	return jxp_workbook_send(jx_host, req, wb, path,
	                         "关键信息不完整名单.xlsx",
	                         "keyinfo-incomplete.xlsx");
}

/* ---- reconciliation ---------------------------------------------------- */

struct ki_reg_row {
	int row;
	char *name, *national_no, *city_no, *id_number;
	char national_hash[65]; /* "" without a 全国学籍号 */
	int64_t student;        /* matched platform student, 0 if none */
};

struct ki_reg {
	int col[4]; /* 姓名, 全国学籍号, 市网学籍号, 身份证号; -1 if absent */
	int header;
	struct ki_reg_row *rows;
	size_t n, cap;
	char err[512];
};

static const char *const ki_reg_headers[4][3] = {
    {"姓名", "name", "学生姓名"},
    {"全国学籍号", "national_no", "学籍号"},
    {"市网学籍号", "city_no", "市学籍号"},
    {"身份证号", "id_number", "身份证件号"},
};

static char *
ki_cell(const struct sheet_row *r, int col)
{
	char buf[256];

	if (col < 0 || col >= r->ncells || r->cells[col] == NULL)
		return NULL;
	sheet_normalize(r->cells[col], buf, sizeof(buf));
	return buf[0] ? strdup(buf) : NULL;
}

static int
ki_reg_row(void *ud, const struct sheet_row *r)
{
	struct ki_reg *g = ud;
	struct ki_reg_row *x;

	if (!g->header) {
		/* The header is the first row naming 姓名 and a number
		 * column; rows above it are titles. */
		int found = 0;

		for (int k = 0; k < 4; k++)
			g->col[k] = -1;
		for (int c = 0; c < r->ncells; c++) {
			char buf[128];

			if (r->cells[c] == NULL)
				continue;
			sheet_normalize(r->cells[c], buf, sizeof(buf));
			for (int k = 0; k < 4; k++)
				for (int a = 0; a < 3; a++)
					if (g->col[k] < 0 &&
					    strcmp(buf, ki_reg_headers[k][a]) ==
					        0) {
						g->col[k] = c;
						found++;
					}
		}
		if (g->col[0] >= 0 && found >= 2)
			g->header = 1;
		return 0;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct ki_reg_row *m = realloc(g->rows, cap * sizeof(*m));

		if (m == NULL)
			return 1;
		g->rows = m;
		g->cap = cap;
	}
	x = &g->rows[g->n];
	memset(x, 0, sizeof(*x));
	x->row = r->number;
	x->name = ki_cell(r, g->col[0]);
	x->national_no = ki_cell(r, g->col[1]);
	/* matched by the keyed hash the platform keeps of each one */
	if (x->national_no != NULL &&
	    ki_org->national_norm(x->national_no, x->national_no,
	                          strlen(x->national_no) + 1) == 0 &&
	    x->national_no[0] != '\0')
		ki_org->lookup_hash(x->national_no, x->national_hash);
	x->city_no = ki_cell(r, g->col[2]);
	x->id_number = ki_cell(r, g->col[3]);
	if (x->id_number != NULL)
		for (char *p = x->id_number; *p; p++)
			if (*p == 'x')
				*p = 'X';
	if (x->name == NULL && x->national_no == NULL && x->id_number == NULL) {
		free(x->city_no);
		return 0;
	}
	g->n++;
	return 0;
}

static void
ki_reg_free(struct ki_reg *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->rows[i].name);
		free(g->rows[i].national_no);
		free(g->rows[i].city_no);
		if (g->rows[i].id_number != NULL)
			memset(g->rows[i].id_number, 0,
			       strlen(g->rows[i].id_number));
		free(g->rows[i].id_number);
	}
	free(g->rows);
}

static int
ki_same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* A mismatch when the values (or, for the 全国学籍号, their hashes:
 * key_platform, key_registry) differ; platform and registry are shown
 * through ki_display. */
static void
ki_mismatch_keyed(jx_req *req, cJSON *list, const struct ki_student *s,
                  const char *field, const char *key_platform,
                  const char *key_registry, const char *platform,
                  const char *registry)
{
	cJSON *m;

	if (ki_same(key_platform, key_registry))
		return;
	m = cJSON_CreateObject();
	cJSON_AddNumberToObject(m, "student_id", (double)s->id);
	cJSON_AddStringToObject(m, "name", s->name ? s->name : "");
	cJSON_AddStringToObject(m, "field", field);
	cJSON_AddStringToObject(m, "field_label", ki_field_label(field));
	cJSON_AddStringToObject(m, "platform",
	                        ki_display(req, field, platform));
	cJSON_AddStringToObject(m, "registry",
	                        ki_display(req, field, registry));
	cJSON_AddItemToArray(list, m);
}

static void
ki_mismatch(jx_req *req, cJSON *list, const struct ki_student *s,
            const char *field, const char *platform, const char *registry)
{
	ki_mismatch_keyed(req, list, s, field, platform, registry, platform,
	                  registry);
}

int
route_reconcile(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	int64_t school = jx_host->req_param_id(req, "sid");
	const char *data, *filename, *ctype;
	struct ki_reg g;
	struct sheet_limits lim = {0};
	struct ki_student *ps = NULL;
	const char **cls = NULL, **shown = NULL;
	size_t len, np = 0, cap = 0;
	cJSON *out, *mp, *mr, *mm;
	unsigned char *used;
	char tmp[4096];
	jx_stmt *st;
	int rc, matched = 0;

	(void)ud;
	if ((rc = ki_manage_school(req, school)) != 0)
		return rc;
	if ((rc = jx_host->req_upload(req, "file", &data, &len, &filename,
	                              &ctype)) != 0)
		return rc;
	memset(&g, 0, sizeof(g));
	snprintf(tmp, sizeof(tmp), "%s/tmp", jx_host->data_dir());
	lim.max_uncompressed = (size_t)jx_host->config_int(
	    "limits.sheet_uncompressed_bytes", 200 << 20);
	rc = sheet_read(data, len, filename ? filename : ctype, tmp, &lim,
	                ki_reg_row, &g, g.err, sizeof(g.err));
	if (rc != 0 || !g.header) {
		/* the sheet's message in the request's language only */
		const char *why =
		    rc == 0 ? jx_host->t(req, "keyinfo.reconcile_header")
		    : strcmp(jx_host->req_lang(req), "en") == 0
		        ? sheet_err_en(g.err, sizeof(g.err))
		        : g.err;

		ki_reg_free(&g);
		jx_host->problem_error(req, 0, "file", why);
		return jxp_invalid(jx_host, req, why);
	}
	/* The platform's students of the school, ID numbers opened. */
	st = jx_host->db_query(
	    db,
	    "SELECT s.person_id, s.school_id, COALESCE(s.class_id, 0), "
	    "COALESCE(c.grade, 0), p.name, s.national_no_hash, s.city_no, "
	    "s.id_number_enc, c.name, s.national_no_masked FROM students s "
	    "JOIN persons p ON p.id = s.person_id LEFT JOIN classes c ON c.id "
	    "= s.class_id WHERE "
	    "s.school_id = ? AND s.status = 'in_school' ORDER BY s.person_id",
	    "i", school);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		if (np == cap) {
			struct ki_student *m;
			const char **mc;

			cap = cap ? cap * 2 : 256;
			m = realloc(ps, cap * sizeof(*m));
			if (m == NULL)
				break;
			ps = m;
			mc = realloc(cls, cap * sizeof(*mc));
			if (mc == NULL)
				break;
			cls = mc;
			mc = realloc(shown, cap * sizeof(*mc));
			if (mc == NULL)
				break;
			shown = mc;
		}
		/* the 全国学籍号 as shown; its hash (in national_no) matches */
		shown[np] = jx_host->strdup(req, jx_host->db_text(st, 9));
		cls[np] =
		    jx_host->db_int(st, 3) > 0
		        ? jx_host->sprintf(
		              req, "%s%s",
		              ki_org->grade_label((int)jx_host->db_int(st, 3)),
		              jx_host->db_text(st, 8))
		        : "";
		memset(&ps[np], 0, sizeof(ps[np]));
		ps[np].id = jx_host->db_int(st, 0);
		ps[np].klass = jx_host->db_int(st, 2);
		ps[np].grade = (int)jx_host->db_int(st, 3);
		ps[np].name = strdup(jx_host->db_text(st, 4));
		ps[np].national_no = jx_host->db_is_null(st, 5)
		                         ? NULL
		                         : strdup(jx_host->db_text(st, 5));
		ps[np].city_no = jx_host->db_is_null(st, 6)
		                     ? NULL
		                     : strdup(jx_host->db_text(st, 6));
		ps[np].id_number =
		    jx_host->db_is_null(st, 7)
		        ? NULL
		        : ki_org->id_open(jx_host->db_text(st, 7));
		np++;
	}
	jx_host->db_finish(st);
	used = calloc(np ? np : 1, 1);
	out = cJSON_CreateObject();
	mp = cJSON_CreateArray();
	mr = cJSON_CreateArray();
	mm = cJSON_CreateArray();
	/* Match by 全国学籍号, then ID number, then a name that is unique
	 * among the unmatched on both sides. */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < g.n; i++) {
			struct ki_reg_row *x = &g.rows[i];
			size_t hit = np;
			int hits = 0;

			if (x->student != 0)
				continue;
			for (size_t j = 0; j < np; j++) {
				const char *a = pass == 0
				                    ? (x->national_hash[0]
				                           ? x->national_hash
				                           : NULL)
				                : pass == 1 ? x->id_number
				                            : x->name;
				const char *b = pass == 0   ? ps[j].national_no
				                : pass == 1 ? ps[j].id_number
				                            : ps[j].name;

				if (used[j] || a == NULL || b == NULL ||
				    strcmp(a, b) != 0)
					continue;
				hit = j;
				hits++;
			}
			if (hits != 1)
				continue;
			if (pass == 2) {
				/* the name must be unique in the registry's
				 * unmatched rows too */
				int same = 0;

				for (size_t k = 0; k < g.n; k++)
					same +=
					    g.rows[k].student == 0 &&
					    ki_same(g.rows[k].name, x->name);
				if (same != 1)
					continue;
			}
			used[hit] = 1;
			x->student = ps[hit].id;
			matched++;
			ki_mismatch_keyed(req, mm, &ps[hit], "national_no",
			                  ps[hit].national_no,
			                  x->national_hash[0] ? x->national_hash
			                                      : NULL,
			                  shown[hit], x->national_no);
			if (g.col[2] >= 0)
				ki_mismatch(req, mm, &ps[hit], "city_no",
				            ps[hit].city_no, x->city_no);
			if (g.col[3] >= 0)
				ki_mismatch(req, mm, &ps[hit], "id_number",
				            ps[hit].id_number, x->id_number);
		}
	}
	for (size_t i = 0; i < g.n; i++) {
		cJSON *m;

		if (g.rows[i].student != 0)
			continue;
		m = cJSON_CreateObject();
		cJSON_AddNumberToObject(m, "row", g.rows[i].row);
		cJSON_AddStringToObject(m, "name",
		                        g.rows[i].name ? g.rows[i].name : "");
		cJSON_AddStringToObject(
		    m, "national_no",
		    ki_display(req, "national_no", g.rows[i].national_no));
		cJSON_AddStringToObject(
		    m, "id_number",
		    ki_display(req, "id_number", g.rows[i].id_number));
		cJSON_AddItemToArray(mp, m);
	}
	for (size_t j = 0; j < np; j++) {
		cJSON *m;

		if (!used[j]) {
			m = cJSON_CreateObject();
			cJSON_AddNumberToObject(m, "student_id",
			                        (double)ps[j].id);
			cJSON_AddStringToObject(m, "name", ps[j].name);
			cJSON_AddStringToObject(m, "class_name", cls[j]);
			cJSON_AddItemToArray(mr, m);
		}
		ki_student_free(&ps[j]);
	}
	free(ps);
	free(cls);
	free(shown);
	free(used);
	cJSON_AddNumberToObject(out, "school_id", (double)school);
	cJSON_AddNumberToObject(out, "registry_rows", (double)g.n);
	cJSON_AddNumberToObject(out, "platform_students", (double)np);
	cJSON_AddNumberToObject(out, "matched", matched);
	cJSON_AddItemToObject(out, "missing_in_platform", mp);
	cJSON_AddItemToObject(out, "missing_in_registry", mr);
	cJSON_AddItemToObject(out, "mismatched", mm);
	ki_reg_free(&g);
	jx_host->audit(req, "keyinfo.reconciled",
	               jx_host->sprintf(req, "school:%lld", (long long)school),
	               NULL);
	return jx_host->reply_view(req, 200, "keyinfo/reconcile", out);
}

/* /keyinfo/reconcile: the upload form (the report is the POST's page). */
int
page_reconcile(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *o;

	(void)ud;
	if (i == NULL || strcmp(i->role, "school_admin") != 0)
		return jxp_not_found(jx_host, req);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "school_id", (double)i->school_id);
	return jx_host->reply_view(req, 200, "keyinfo/reconcile", o);
}

/* The service's class_status: each in-school student of the class as
 * complete, incomplete or pending (a head teacher's class page). */
int
ki_class_status(jx_db *db, int64_t klass, cJSON **out)
{
	int64_t school, stale = 0;
	jx_stmt *st;

	*out = NULL;
	school =
	    jxp_one(jx_host, db, "SELECT school_id FROM classes WHERE id = ?",
	            "i", klass);
	if (school <= 0 || ki_fresh(db, school, &stale) != 0)
		return -1;
	st = jx_host->db_query(
	    db,
	    "SELECT s.person_id, r.complete, EXISTS (SELECT 1 FROM "
	    "keyinfo_changes ch WHERE ch.student_id = s.person_id AND "
	    "ch.status = 'pending') FROM students s JOIN keyinfo_results r "
	    "ON r.student_id = s.person_id WHERE s.class_id = ? AND "
	    "s.status = 'in_school'",
	    "i", klass);
	if (st == NULL)
		return -1;
	*out = cJSON_CreateObject();
	while (jx_host->db_step(st) == JX_DB_ROW) {
		char id[24];

		snprintf(id, sizeof(id), "%lld",
		         (long long)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(*out, id,
		                        jx_host->db_int(st, 2) ? "pending"
		                        : jx_host->db_int(st, 1)
		                            ? "complete"
		                            : "incomplete");
	}
	jx_host->db_finish(st);
	return 0;
}

/* The service's complete_counts: the `complete` of the school's
 * progress per class (its results brought up to date first), or of the
 * district's per school. */
int
ki_complete_counts(jx_db *db, int64_t school, int64_t district, cJSON **out)
{
	int64_t stale = 0, total = 0;
	cJSON *o, *by;
	jx_stmt *st;

	*out = NULL;
	if (school > 0 && ki_fresh(db, school, &stale) != 0)
		return -1;
	st = school > 0
	         ? jx_host->db_query(db,
	                             "SELECT class_id, complete FROM "
	                             "keyinfo_counts WHERE school_id = ?",
	                             "i", school)
	         : jx_host->db_query(db,
	                             "SELECT school_id, complete FROM "
	                             "keyinfo_school_counts WHERE "
	                             "district_id = ?",
	                             "i", district);
	if (st == NULL)
		return -1;
	o = cJSON_CreateObject();
	by = cJSON_AddObjectToObject(o, school > 0 ? "classes" : "schools");
	while (jx_host->db_step(st) == JX_DB_ROW) {
		char key[24];

		snprintf(key, sizeof(key), "%lld",
		         (long long)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(by, key,
		                        (double)jx_host->db_int(st, 1));
		total += jx_host->db_int(st, 1);
	}
	jx_host->db_finish(st);
	cJSON_AddNumberToObject(o, "complete", (double)total);
	*out = o;
	return 0;
}
