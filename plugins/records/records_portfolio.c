/*
 * records_portfolio.c — the portfolio: a student's approved and archived
 * records by term and type (GET /api/v1/students/{id}/portfolio), its
 * offline archive for transfers (portfolio.zip: index.html with inline
 * CSS, print-ready, and the attachments under files/), and the learning
 * space's section through spaces.v1.
 *
 * Readers are those of the student's records (the current school and
 * class decide), so a transferred student's whole portfolio follows
 * them: records are never moved or copied.
 *
 * The attachments' bytes are those GET /api/v1/files/{id} serves, read
 * from the host's content-addressed store (<data_dir>/files/ab/cd/<blob>
 * of file_variants, docs/host-schema.md), after the file service's own
 * visibility answer (jx_host->file_info).
 */
#include "records.h"

#include <jx/spaces.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#define REC_ZIP_MAX ((int64_t)100 * 1024 * 1024) /* 413 above */

/* The student's approved and archived records, newest term first, by
 * the registry's order of types (arena). */
static cJSON *
rec_portfolio_terms(jx_req *req, jx_db *db, int64_t student)
{
	cJSON *terms = cJSON_CreateArray();
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT id, term, type FROM records_records WHERE student_id = ? "
	    "AND status IN ('approved', 'archived') ORDER BY term DESC, id",
	    "i", student);
	struct {
		int64_t id;
		char term[16], type[48];
	} *rows = NULL;
	size_t n = 0, cap = 0;

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW && n < 5000) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			void *p = realloc(rows, cap * sizeof(*rows));

			if (p == NULL)
				break;
			rows = p;
		}
		rows[n].id = jx_host->db_int(st, 0);
		snprintf(rows[n].term, sizeof(rows[n].term), "%s",
		         jx_host->db_text(st, 1));
		snprintf(rows[n].type, sizeof(rows[n].type), "%s",
		         jx_host->db_text(st, 2));
		n++;
	}
	jx_host->db_finish(st);
	for (size_t a = 0; a < n;) {
		size_t b = a;
		cJSON *t = cJSON_CreateObject(), *types;

		while (b < n && strcmp(rows[b].term, rows[a].term) == 0)
			b++;
		cJSON_AddStringToObject(t, "term", rows[a].term);
		types = cJSON_AddArrayToObject(t, "types");
		/* the registry's order, then types no longer registered */
		for (int k = -1; k < rec_type_count(); k++) {
			const struct rec_type *rt = rec_type_at(k);
			cJSON *list = NULL;

			for (size_t j = a; j < b; j++) {
				struct rec_row r;
				int match =
				    rt ? strcmp(rows[j].type, rt->t.code) == 0
				       : rec_type_find(rows[j].type) == NULL;

				if (!match ||
				    rec_load(req, db, rows[j].id, &r) != 1)
					continue;
				if (list == NULL) {
					cJSON *o = cJSON_CreateObject();

					cJSON_AddStringToObject(
					    o, "type",
					    rt ? rt->t.code : rows[j].type);
					cJSON_AddStringToObject(
					    o, "name",
					    rt ? rec_type_name(req, rt)
					       : rows[j].type);
					list = cJSON_AddArrayToObject(
					    o, "records");
					cJSON_AddItemToArray(types, o);
				}
				cJSON_AddItemToArray(list,
				                     rec_json(req, db, &r, 0));
			}
		}
		cJSON_AddItemToArray(terms, t);
		a = b;
	}
	free(rows);
	return terms;
}

/* {"id","name","school_name","class_name"} of the student now. */
static cJSON *
rec_student_json(jx_db *db, int64_t student)
{
	cJSON *o = cJSON_CreateObject();
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT p.name, sc.name, c.grade, c.name, s.status FROM persons p "
	    "JOIN students s ON s.person_id = p.id JOIN schools sc ON sc.id "
	    "= s.school_id LEFT JOIN classes c ON c.id = s.class_id WHERE "
	    "p.id = ?",
	    "i", student);

	cJSON_AddNumberToObject(o, "id", (double)student);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 0));
		cJSON_AddStringToObject(o, "school_name",
		                        jx_host->db_text(st, 1));
		if (!jx_host->db_is_null(st, 3))
			cJSON_AddStringToObject(o, "class_name",
			                        jx_host->db_text(st, 3));
		cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 4));
	}
	jx_host->db_finish(st);
	return o;
}

int
route_portfolio(jx_req *req, void *ud)
{
	int64_t student = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	cJSON *out;

	(void)ud;
	if (!rec_may_read(req, student))
		return jxp_not_found(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "student", rec_student_json(db, student));
	cJSON_AddItemToObject(out, "terms",
	                      rec_portfolio_terms(req, db, student));
	return jx_host->reply_json(req, 200, out);
}

/* ---- the archive ------------------------------------------------------ */

struct rec_buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
rec_put(struct rec_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 8192) + n;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
rec_puts(struct rec_buf *b, const char *s)
{
	rec_put(b, s, strlen(s));
}

/* s, HTML-escaped. */
static void
rec_esc(struct rec_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': rec_puts(b, "&amp;"); break;
		case '<': rec_puts(b, "&lt;"); break;
		case '>': rec_puts(b, "&gt;"); break;
		case '"': rec_puts(b, "&quot;"); break;
		case '\'': rec_puts(b, "&#39;"); break;
		case '\n': rec_puts(b, "<br>"); break;
		default: rec_put(b, s, 1);
		}
	}
}

/* The archive's name for file id: "files/<id>-<ASCII of its name>". */
static void
rec_zip_name(char *out, size_t outlen, int64_t id, const char *name)
{
	char safe[64];
	size_t n = 0;

	for (const char *p = name ? name : ""; *p && n < sizeof(safe) - 1; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    (*p == '.' && n > 0))
			safe[n++] = *p;
	safe[n] = '\0';
	snprintf(out, outlen, "files/%lld-%s", (long long)id,
	         n > 0 ? safe : "file");
}

static const char rec_css[] =
    "body{font-family:-apple-system,'PingFang SC','Microsoft YaHei',"
    "sans-serif;margin:0 auto;max-width:46rem;padding:1rem;color:#222;"
    "line-height:1.5}header{border-bottom:2px solid #07c160;margin-bottom:"
    "1rem}h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.2rem;"
    "margin-top:1.5rem;border-bottom:1px solid #ddd}h3{font-size:1rem;"
    "color:#07c160}article{border:1px solid #e5e5e5;border-radius:6px;"
    "padding:.6rem .8rem;margin:.6rem 0;break-inside:avoid}dl{display:grid;"
    "grid-template-columns:8em 1fr;gap:.2rem .6rem;margin:.4rem 0}dt{color:"
    "#666}dd{margin:0}img{max-width:100%;max-height:16rem;display:block;"
    "margin:.3rem 0}.meta{color:#666;font-size:.85rem}@media print{body{"
    "max-width:none;padding:0}@page{size:A4;margin:15mm}a{color:inherit}}";

/* One field's value as text (arena-free: into b). */
static void
rec_html_value(struct rec_buf *b, const cJSON *v)
{
	char num[32];

	if (cJSON_IsString(v))
		rec_esc(b, v->valuestring);
	else if (cJSON_IsNumber(v)) {
		snprintf(num, sizeof(num), "%g", v->valuedouble);
		rec_puts(b, num);
	}
}

/* index.html of the archive; adds each attachment's (id, name) to files. */
static void
rec_html(jx_req *req, struct rec_buf *b, const cJSON *student,
         const cJSON *terms, cJSON *files)
{
	const cJSON *t, *ty, *r;
	char when[40];

	jx_host->format_time(jx_host->now(), when, sizeof(when));
	rec_puts(b, "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta "
	            "charset=\"utf-8\"><meta name=\"viewport\" content=\""
	            "width=device-width,initial-scale=1\"><title>");
	rec_esc(b, cJSON_GetStringValue(cJSON_GetObjectItem(student, "name")));
	rec_puts(b, " · 成长记录</title><style>");
	rec_puts(b, rec_css);
	rec_puts(b, "</style></head><body><header><p class=\"meta\">");
	rec_esc(b, cJSON_GetStringValue(
	               cJSON_GetObjectItem(student, "school_name")));
	rec_puts(b, "</p><h1>");
	rec_esc(b, cJSON_GetStringValue(cJSON_GetObjectItem(student, "name")));
	rec_puts(b, " · 综合素质评价成长记录</h1><p class=\"meta\">");
	rec_esc(b, cJSON_GetStringValue(
	               cJSON_GetObjectItem(student, "class_name")));
	rec_puts(b, " · 导出于 ");
	rec_put(b, when, 10);
	rec_puts(b, "</p></header><main>");
	cJSON_ArrayForEach(t, terms)
	{
		rec_puts(b, "<section><h2>");
		rec_esc(b,
		        cJSON_GetStringValue(cJSON_GetObjectItem(t, "term")));
		rec_puts(b, " 学期</h2>");
		cJSON_ArrayForEach(ty, cJSON_GetObjectItem(t, "types"))
		{
			const struct rec_type *rt =
			    rec_type_find(cJSON_GetStringValue(
			        cJSON_GetObjectItem(ty, "type")));

			rec_puts(b, "<h3>");
			rec_esc(b, rt ? rt->t.name_zh
			              : cJSON_GetStringValue(
			                    cJSON_GetObjectItem(ty, "name")));
			rec_puts(b, "</h3>");
			cJSON_ArrayForEach(r,
			                   cJSON_GetObjectItem(ty, "records"))
			{
				const cJSON *fields =
				    cJSON_GetObjectItem(r, "fields");
				const cJSON *f;

				rec_puts(b, "<article><h4>");
				rec_esc(b,
				        cJSON_GetStringValue(
				            cJSON_GetObjectItem(r, "title")));
				rec_puts(b, "</h4><dl>");
				for (int k = 0; rt && k < rt->t.nfields; k++) {
					const struct jx_record_field *fd =
					    &rt->t.fields[k];
					const cJSON *v = cJSON_GetObjectItem(
					    fields, fd->name);

					if (v == NULL ||
					    fd->type == JX_RF_FILES)
						continue;
					rec_puts(b, "<dt>");
					rec_esc(b, fd->label_zh);
					rec_puts(b, "</dt><dd>");
					rec_html_value(b, v);
					rec_puts(b, "</dd>");
				}
				rec_puts(b, "</dl>");
				cJSON_ArrayForEach(
				    f, cJSON_GetObjectItem(r, "files"))
				{
					char zname[128];
					const char *mime = cJSON_GetStringValue(
					    cJSON_GetObjectItem(f, "mime"));
					int64_t id =
					    (int64_t)cJSON_GetNumberValue(
					        cJSON_GetObjectItem(f, "id"));
					const char *name = cJSON_GetStringValue(
					    cJSON_GetObjectItem(f, "name"));
					cJSON *e = cJSON_CreateObject();

					rec_zip_name(zname, sizeof(zname), id,
					             name);
					cJSON_AddNumberToObject(e, "id",
					                        (double)id);
					cJSON_AddStringToObject(e, "zip",
					                        zname);
					cJSON_AddItemToArray(files, e);
					if (mime &&
					    strncmp(mime, "image/", 6) == 0) {
						rec_puts(b, "<img src=\"");
						rec_esc(b, zname);
						rec_puts(b, "\" alt=\"");
						rec_esc(b, name);
						rec_puts(b, "\">");
					} else {
						rec_puts(b, "<p><a href=\"");
						rec_esc(b, zname);
						rec_puts(b, "\">");
						rec_esc(b, name);
						rec_puts(b, "</a></p>");
					}
				}
				rec_puts(b, "<p class=\"meta\">");
				rec_esc(b,
				        cJSON_GetStringValue(
				            cJSON_GetObjectItem(r, "summary")));
				if (cJSON_IsString(
				        cJSON_GetObjectItem(r, "comment"))) {
					rec_puts(b, " · 审核意见：");
					rec_esc(
					    b, cJSON_GetObjectItem(r, "comment")
					           ->valuestring);
				}
				rec_puts(b, "</p></article>");
			}
		}
		rec_puts(b, "</section>");
	}
	if (cJSON_GetArraySize(terms) == 0)
		rec_puts(b, "<p>暂无记录</p>");
	rec_puts(b, "</main></body></html>\n");
	(void)req;
}

int
route_portfolio_zip(jx_req *req, void *ud)
{
	int64_t student = jx_host->req_param_id(req, "id"), total = 0;
	jx_db *db = jx_host->req_db(req);
	cJSON *stu, *terms, *files, *e;
	struct rec_buf html = {0};
	char path[512], *data = NULL;
	zip_t *za = NULL;
	zip_source_t *src;
	struct stat sb;
	int fd, rc = 500, err = 0, have_path = 0;

	(void)ud;
	if (!rec_may_read(req, student))
		return jxp_not_found(jx_host, req);
	stu = rec_student_json(db, student);
	terms = rec_portfolio_terms(req, db, student);
	files = cJSON_CreateArray();
	rec_html(req, &html, stu, terms, files);
	fd = jx_host->tmp_open(path, sizeof(path), ".zip");
	if (fd < 0)
		goto out;
	close(fd);
	have_path = 1;
	if (html.failed)
		goto out;
	za = zip_open(path, ZIP_TRUNCATE, &err);
	if (za == NULL)
		goto out;
	src = zip_source_buffer(za, html.p, html.len, 0);
	if (src == NULL ||
	    zip_file_add(za, "index.html", src, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(src);
		goto out;
	}
	cJSON_ArrayForEach(e, files)
	{
		int64_t id =
		    (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
		const char *zname =
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "zip"));
		jx_stmt *st;
		char blob[1024] = "";
		int64_t size = 0;

		if (zip_name_locate(za, zname, 0) >= 0)
			continue; /* a file used twice */
		if (jx_host->file_info(req, id) == NULL)
			continue;
		/* what GET /api/v1/files/{id} serves: the original when one
		 * is kept, else the display copy (an image's upload itself is
		 * never kept) */
		st = jx_host->db_query(
		    db,
		    "SELECT blob, size FROM file_variants WHERE file_id = ? "
		    "AND variant IN ('original', 'display') ORDER BY variant "
		    "DESC LIMIT 1",
		    "i", id);
		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			const char *hex = jx_host->db_text(st, 0);

			if (hex != NULL && strlen(hex) == 64 &&
			    strspn(hex, "0123456789abcdef") == 64)
				snprintf(
				    blob, sizeof(blob), "%s/files/%.2s/%.2s/%s",
				    jx_host->data_dir(), hex, hex + 2, hex);
			size = jx_host->db_int(st, 1);
		}
		jx_host->db_finish(st);
		if (blob[0] == '\0')
			continue;
		total += size;
		if (total > REC_ZIP_MAX) {
			rc = 413;
			goto out;
		}
		src = zip_source_file(za, blob, 0, -1);
		if (src == NULL)
			continue;
		if (zip_file_add(za, zname, src, ZIP_FL_ENC_UTF_8) < 0) {
			zip_source_free(src);
			goto out;
		}
	}
	if (zip_close(za) != 0)
		goto out;
	za = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	data = malloc((size_t)sb.st_size + 1);
	if (data != NULL &&
	    read(fd, data, (size_t)sb.st_size) == (ssize_t)sb.st_size)
		rc = 200;
	close(fd);
out:
	if (za != NULL)
		zip_discard(za);
	if (have_path)
		unlink(path);
	cJSON_Delete(stu);
	cJSON_Delete(terms);
	cJSON_Delete(files);
	if (rc == 200) {
		rc = jx_host->reply_raw(
		    req, 200, "application/zip", data, (size_t)sb.st_size,
		    jx_host->sprintf(req,
		                     "Content-Disposition: attachment; "
		                     "filename=\"portfolio-%lld.zip\"\r\n"
		                     "Cache-Control: no-store\r\n",
		                     (long long)student));
		free(data);
		free(html.p);
		return rc;
	}
	free(data);
	free(html.p);
	if (rc == 413)
		return jx_host->reply_problem(req, 413, "too-large",
		                              "Too large",
		                              "The portfolio's files are too "
		                              "large for one archive.");
	return jxp_storage_error(jx_host, req);
}

/* ---- the learning space's section ------------------------------------- */

cJSON *
rec_space_items(jx_req *req, int kind, int64_t owner, int limit, int64_t *total,
                void *ud)
{
	jx_db *db = jx_host->req_db(req);
	cJSON *items;
	int64_t all = 0;

	(void)ud;
	if (kind != JX_SPACE_LEARNING || !rec_may_read(req, owner))
		return NULL;
	items = cJSON_CreateArray();
	for (int k = 0; k < rec_type_count(); k++) {
		const struct rec_type *t = rec_type_at(k);
		int64_t n =
		    jxp_one(jx_host, db,
		            "SELECT COUNT(*) FROM records_records WHERE "
		            "student_id = ? AND type = ? AND status IN "
		            "('approved', 'archived')",
		            "is", owner, t->t.code);
		cJSON *o;

		if (n <= 0)
			continue;
		all += n;
		if (cJSON_GetArraySize(items) >= limit)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "title", rec_type_name(req, t));
		cJSON_AddNumberToObject(o, "count", (double)n);
		cJSON_AddStringToObject(
		    o, "href",
		    jx_host->sprintf(req, "/students/%lld/portfolio#%s",
		                     (long long)owner, t->t.code));
		cJSON_AddItemToArray(items, o);
	}
	if (total != NULL)
		*total = all;
	return items;
}
