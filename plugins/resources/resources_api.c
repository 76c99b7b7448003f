/*
 * resources_api.c — resources through the API and the pages that share
 * its handlers (JX_ROUTE_BOTH): create, list with filters, search and
 * sorting, one resource, edit and curation, removal with a reason,
 * downloads (counted), favourites.
 */
#include "resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOURCES_PHRASES 4

static const char *const resources_office[] = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml."
    "document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml."
    "presentation",
    NULL,
};

/* "image", "pdf", "office", or NULL for a type a resource does not
 * carry (audio, video). */
static const char *
resources_file_kind(const char *mime)
{
	if (mime == NULL)
		return NULL;
	if (strncmp(mime, "image/", 6) == 0)
		return "image";
	if (strcmp(mime, "application/pdf") == 0)
		return "pdf";
	for (int k = 0; resources_office[k] != NULL; k++)
		if (strcmp(mime, resources_office[k]) == 0)
			return "office";
	return NULL;
}

static int
resources_bad(jx_req *req, const char *field, const char *message)
{
	jx_host->problem_error(req, 0, field, message);
	return jxp_invalid(jx_host, req, message);
}

/* ---- one resource ------------------------------------------------------ */

#define RESOURCES_COLUMNS                                                      \
	"r.id, r.library, r.kind, r.title, r.description, r.subject, "         \
	"r.grade, r.unit, r.url, r.file_id, r.mime, r.visibility, "            \
	"r.school_id, r.status, r.featured, r.downloads, r.link_state, "       \
	"r.created_at, r.author_person_id, p.name, EXISTS (SELECT 1 FROM "     \
	"resources_favourites f WHERE f.resource_id = r.id AND "               \
	"f.person_id = ?), EXISTS (SELECT 1 FROM resources_previews v "        \
	"WHERE v.resource_id = r.id), fl.name, fl.size, r.district_id, "       \
	"r.link_error, r.removed_reason"
#define RESOURCES_FROM                                                         \
	" FROM resources_items r LEFT JOIN persons p ON p.id = "               \
	"r.author_person_id LEFT JOIN files fl ON fl.id = r.file_id"

/* 1 when the identity may remove a resource of that school, district
 * and author. */
static int
resources_may_remove(const struct resources_who *w, int64_t school,
                     int64_t district, int64_t author)
{
	const char *role = w->id->role;

	if (author == w->person || w->all)
		return 1;
	if (strcmp(role, "district_admin") == 0)
		return district == w->district;
	if (strcmp(role, "school_admin") == 0)
		return school != 0 && school == w->school;
	return 0;
}

static cJSON *
resources_row(jx_req *req, jx_stmt *st, const struct resources_who *w)
{
	cJSON *o = cJSON_CreateObject();
	int64_t id = jx_host->db_int(st, 0), fid = jx_host->db_int(st, 9);
	const char *kind = jx_host->db_text(st, 2);
	const char *mime = jx_host->db_text(st, 10);
	const char *fk = resources_file_kind(mime);
	int grade = (int)jx_host->db_int(st, 6);
	int64_t author = jx_host->db_int(st, 18);
	char t[32];

	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "library", jx_host->db_text(st, 1));
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "title", jx_host->db_text(st, 3));
	cJSON_AddStringToObject(o, "description", jx_host->db_text(st, 4));
	cJSON_AddStringToObject(o, "subject", jx_host->db_text(st, 5));
	cJSON_AddNumberToObject(o, "grade", grade);
	cJSON_AddStringToObject(o, "grade_label",
	                        resources_grade_label(req, grade));
	cJSON_AddStringToObject(o, "unit", jx_host->db_text(st, 7));
	if (strcmp(kind, "link") == 0) {
		const char *ls = jx_host->db_text(st, 16);

		cJSON_AddStringToObject(o, "url", jx_host->db_text(st, 8));
		if (ls != NULL)
			cJSON_AddStringToObject(o, "link_state", ls);
		else
			cJSON_AddNullToObject(o, "link_state");
		if (jx_host->db_text(st, 25) != NULL)
			cJSON_AddStringToObject(o, "link_error",
			                        jx_host->db_text(st, 25));
	} else {
		cJSON *f = cJSON_AddObjectToObject(o, "file");

		cJSON_AddNumberToObject(f, "id", (double)fid);
		if (jx_host->db_text(st, 22) != NULL)
			cJSON_AddStringToObject(f, "name",
			                        jx_host->db_text(st, 22));
		cJSON_AddNumberToObject(f, "size",
		                        (double)jx_host->db_int(st, 23));
		cJSON_AddStringToObject(f, "mime", mime ? mime : "");
		cJSON_AddStringToObject(f, "kind", fk ? fk : "other");
	}
	cJSON_AddStringToObject(o, "visibility", jx_host->db_text(st, 11));
	cJSON_AddNumberToObject(o, "school_id",
	                        (double)jx_host->db_int(st, 12));
	cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 13));
	cJSON_AddBoolToObject(o, "featured", jx_host->db_int(st, 14) != 0);
	cJSON_AddNumberToObject(o, "downloads",
	                        (double)jx_host->db_int(st, 15));
	jx_host->format_time(jx_host->db_int(st, 17), t, sizeof(t));
	cJSON_AddStringToObject(o, "created_at", t);
	cJSON_AddStringToObject(
	    o, "author",
	    jx_host->db_text(st, 19) ? jx_host->db_text(st, 19) : "");
	cJSON_AddBoolToObject(o, "favourite", jx_host->db_int(st, 20) != 0);
	cJSON_AddStringToObject(o, "download_url",
	                        jx_host->sprintf(req,
	                                         "/api/v1/resources/%lld/"
	                                         "download",
	                                         (long long)id));
	/* the preview: a PDF's rendered first page, an image's display
	 * copy; an Office document has none (the page says so) */
	if (jx_host->db_int(st, 21))
		cJSON_AddStringToObject(
		    o, "preview",
		    jx_host->sprintf(req, "/api/v1/resources/%lld/preview",
		                     (long long)id));
	else if (fk != NULL && strcmp(fk, "image") == 0)
		cJSON_AddStringToObject(
		    o, "preview",
		    jx_host->sprintf(req, "/api/v1/files/%lld?variant=display",
		                     (long long)fid));
	else
		cJSON_AddNullToObject(o, "preview");
	cJSON_AddBoolToObject(o, "can_remove",
	                      resources_may_remove(w, jx_host->db_int(st, 12),
	                                           jx_host->db_int(st, 24),
	                                           author));
	cJSON_AddBoolToObject(o, "can_edit", author == w->person);
	cJSON_AddBoolToObject(
	    o, "can_curate",
	    w->curator && strcmp(jx_host->db_text(st, 1), "learning") == 0);
	return o;
}

cJSON *
resources_json(jx_req *req, jx_db *db, int64_t id)
{
	struct resources_who w;
	cJSON *o = NULL;
	jx_stmt *st;

	if (resources_who(req, &w) != 0)
		return NULL;
	st = jx_host->db_query(db,
	                       "SELECT " RESOURCES_COLUMNS RESOURCES_FROM
	                       " WHERE r.id = ? AND " RESOURCES_SEEN_SQL,
	                       "ii" RESOURCES_SEEN_TYPES, w.person, id,
	                       RESOURCES_SEEN_ARGS(w));
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		o = resources_row(req, st, &w);
	jx_host->db_finish(st);
	return o;
}

int
resources_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	cJSON *o = id > 0 ? resources_json(req, db, id) : NULL;
	cJSON *d;

	(void)ud;
	if (o == NULL)
		return jxp_not_found(jx_host, req);
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, o);
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "resource", o);
	cJSON_AddStringToObject(
	    d, "title", cJSON_GetStringValue(cJSON_GetObjectItem(o, "title")));
	return jx_host->reply_view(req, 200, "resources/show", d);
}

/* ---- create ------------------------------------------------------------ */

static const struct jx_field resources_create_spec[] = {
    {"library", JX_FIELD_STRING, 1, 1, 20},
    {"title", JX_FIELD_STRING, 1, 1, 100},
    {"description", JX_FIELD_TEXT, 0, 0, 2000},
    {"subject", JX_FIELD_STRING, 1, 1, 20},
    {"grade", JX_FIELD_INT, 1, 1, 12},
    {"unit", JX_FIELD_STRING, 0, 0, 100},
    {"kind", JX_FIELD_STRING, 1, 1, 10},
    {"url", JX_FIELD_STRING, 0, 0, 2000},
    {"file_id", JX_FIELD_INT, 0, 1, INT64_MAX},
    {"visibility", JX_FIELD_STRING, 1, 1, 20},
    {NULL, 0, 0, 0, 0},
};

static const char *
resources_str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int64_t
resources_int(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* A field's error, remembered for the page's sentence. */
static void
create_err(jx_req *req, char *bad, const char *field, const char *message)
{
	size_t n = strlen(bad);

	jx_host->problem_error(req, 0, field, message);
	if (strstr(bad, field) == NULL && n + strlen(field) + 2 < 128)
		snprintf(bad + n, 128 - n, "%s%s", n ? "," : "", field);
}

/* 422: the API's errors name the fields; the form's page says in the
 * reader's language which fields to check (the host shows a detail
 * only in the page's language). */
static int
create_invalid(jx_req *req, const char *bad)
{
	char fields[400] = "", copy[128], *save = NULL, *f;
	size_t n = 0;

	if (jx_host->req_is_api(req) || bad == NULL || *bad == '\0')
		return jxp_invalid(
		    jx_host, req,
		    jx_host->req_is_api(req)
		        ? NULL
		        : jx_host->t(req, "resources.form.invalid"));
	snprintf(copy, sizeof(copy), "%s", bad);
	for (f = strtok_r(copy, ",", &save); f != NULL;
	     f = strtok_r(NULL, ",", &save)) {
		const char *label = jx_host->t(
		    req,
		    jx_host->sprintf(req, "resources.field.%s",
		                     strcmp(f, "file_id") == 0 ? "file" : f));

		n += (size_t)snprintf(
		    fields + n, sizeof(fields) - n, "%s%s",
		    n ? jx_host->t(req, "resources.form.sep") : "", label);
		if (n >= sizeof(fields))
			break;
	}
	return jxp_invalid(jx_host, req,
	                   jxp_fill(jx_host, req,
	                            jx_host->t(req, "resources.form.check"),
	                            "fields", fields));
}

int
resources_create(jx_req *req, void *ud)
{
	struct resources_who w;
	jx_db *db = jx_host->req_db(req);
	const cJSON *b;
	const char *library, *title, *desc, *subject, *unit, *kind, *url, *vis,
	    *mime = NULL, *status = "active", *ref, *pdata = NULL;
	int64_t grade, fid = 0, id, now = jx_host->now();
	int pw = 0, ph = 0, rc;
	char why[160], bad[128] = "";
	cJSON *o, *detail;

	(void)ud;
	if (resources_who(req, &w) != 0 || !w.staff || w.all)
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "Teachers and school or district administrators add "
		    "resources.");
	b = jx_host->req_fields(req, resources_create_spec);
	if (b == NULL)
		return jx_host->problem_count(req) > 0
		           ? create_invalid(req, NULL)
		           : jx_host->req_status(req);
	library = resources_str(b, "library");
	title = resources_str(b, "title");
	desc = resources_str(b, "description");
	subject = resources_str(b, "subject");
	unit = resources_str(b, "unit");
	kind = resources_str(b, "kind");
	url = resources_str(b, "url");
	vis = resources_str(b, "visibility");
	grade = resources_int(b, "grade");
	if (strcmp(library, "teaching") != 0 &&
	    strcmp(library, "learning") != 0)
		create_err(req, bad, "library",
		           "library is teaching or learning");
	if (!resources_subject_ok(subject))
		create_err(req, bad, "subject",
		           "subject is one of the national "
		           "curriculum's (语文, 数学, ...)");
	if (strcmp(vis, "school") != 0 && strcmp(vis, "district") != 0)
		create_err(req, bad, "visibility",
		           "visibility is school or district");
	else if (strcmp(vis, "school") == 0 && w.school <= 0)
		create_err(req, bad, "visibility",
		           "a district administrator shares with "
		           "the district");
	if (strcmp(kind, "link") == 0) {
		if (url == NULL)
			create_err(req, bad, "url", "a link needs its url");
		else if (resources_url_check(url, why, sizeof(why)) != 0)
			create_err(req, bad, "url", why);
	} else if (strcmp(kind, "file") == 0) {
		const cJSON *fi;

		fid = resources_int(b, "file_id");
		fi = fid > 0 ? jx_host->file_info(req, fid) : NULL;
		mime = fi ? resources_str(fi, "mime") : NULL;
		if (fid <= 0)
			create_err(req, bad, "file_id",
			           "a file needs its file_id (POST "
			           "/api/v1/files first)");
		else if (fi == NULL)
			create_err(req, bad, "file_id",
			           "no such file of yours: upload "
			           "it first");
		else if (resources_file_kind(mime) == NULL)
			create_err(
			    req, bad, "file_id",
			    jx_host->sprintf(req,
			                     "the file is %s: a resource is a "
			                     "PDF, an Office document or an "
			                     "image",
			                     mime ? mime : "unknown"));
	} else
		create_err(req, bad, "kind", "kind is link or file");
	if (jx_host->problem_count(req) > 0)
		return create_invalid(req, bad);

	/* the district's learning library is curated: a teacher's or school
	 * admin's item for the whole district waits for its admin */
	if (strcmp(library, "learning") == 0 && strcmp(vis, "district") == 0 &&
	    !w.curator)
		status = "proposed";
	if (mime != NULL && strcmp(mime, "application/pdf") == 0 &&
	    resources_preview_render(req, fid, &pdata, &pw, &ph) != 0)
		pdata = NULL; /* no preview; the page says so */

	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO resources_items(library, kind, title, description, "
	    "subject, grade, unit, url, file_id, mime, visibility, "
	    "district_id, school_id, author_person_id, author_identity_id, "
	    "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "CASE WHEN ? > 0 THEN ? ELSE NULL END, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?)",
	    "sssssissiissiiiisii", library, kind, title, desc ? desc : "",
	    subject, grade, unit ? unit : "",
	    strcmp(kind, "link") == 0 ? url : NULL, fid, fid, mime, vis,
	    w.district, w.school > 0 ? w.school : 0, w.person, w.id->id, status,
	    now, now);
	if (id <= 0)
		goto fail;
	if (fid > 0) {
		ref = jx_host->sprintf(req, "resource:%lld", (long long)id);
		rc = jx_host->file_attach(req, fid, ref);
		if (rc == -1) {
			jx_host->db_rollback(db);
			return resources_bad(req, "file_id",
			                     "no such file of yours: upload it "
			                     "first");
		}
		if (rc != 0)
			goto fail;
	}
	if (resources_index_put(db, id, title, desc, unit) != 0)
		goto fail;
	if (pdata != NULL &&
	    resources_preview_store(db, id, pdata, pw, ph) != 0)
		goto fail;
	/* the seam for statistics (uploads per teacher, school, district):
	 * an event in the same transaction, no reading of our tables */
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "id", (double)id);
	cJSON_AddStringToObject(detail, "library", library);
	cJSON_AddStringToObject(detail, "kind", kind);
	cJSON_AddStringToObject(detail, "visibility", vis);
	cJSON_AddNumberToObject(detail, "author_person_id", (double)w.person);
	cJSON_AddNumberToObject(detail, "school_id",
	                        (double)(w.school > 0 ? w.school : 0));
	cJSON_AddNumberToObject(detail, "district_id", (double)w.district);
	cJSON_AddNumberToObject(detail, "file_id", (double)fid);
	rc = jx_host->publish(db, "resources.created", detail);
	cJSON_Delete(detail);
	if (rc != 0)
		goto fail;
	detail = cJSON_CreateObject();
	cJSON_AddStringToObject(detail, "library", library);
	cJSON_AddStringToObject(detail, "kind", kind);
	cJSON_AddStringToObject(detail, "visibility", vis);
	rc = jx_host->audit(
	    req, "resources.create",
	    jx_host->sprintf(req, "resource:%lld", (long long)id), detail);
	cJSON_Delete(detail);
	if (rc != 0 || jx_host->db_commit(db) != 0)
		goto fail;
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req,
		    jx_host->sprintf(req, "/resources/%lld", (long long)id));
	o = resources_json(req, db, id);
	return jx_host->reply_json(req, 201, o);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

/* ---- the list ---------------------------------------------------------- */

/* Lowercases ASCII and escapes LIKE's wildcards: "%phrase%". */
static const char *
resources_like(jx_req *req, const char *s, size_t n)
{
	char *out = jx_host->alloc(req, 2 * n + 3), *p = out;

	*p++ = '%';
	for (size_t k = 0; k < n; k++) {
		char c = s[k];

		if (c == '%' || c == '_' || c == '\\')
			*p++ = '\\';
		*p++ = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	*p++ = '%';
	*p = '\0';
	return out;
}

/* The phrases of q: its parts between spaces (ASCII or U+3000). */
static int
resources_phrases(jx_req *req, const char *q, const char **out)
{
	int n = 0;

	while (*q != '\0' && n < RESOURCES_PHRASES) {
		const char *end;

		while (*q == ' ' || *q == '\t' ||
		       strncmp(q, "\xe3\x80\x80", 3) == 0)
			q += *q == ' ' || *q == '\t' ? 1 : 3;
		if (*q == '\0')
			break;
		end = q;
		while (*end != '\0' && *end != ' ' && *end != '\t' &&
		       strncmp(end, "\xe3\x80\x80", 3) != 0)
			end++;
		out[n++] = resources_like(req, q, (size_t)(end - q));
		q = end;
	}
	return n;
}

#define RESOURCES_LIST_WHERE                                                   \
	" WHERE " RESOURCES_SEEN_SQL                                           \
	" AND (? IS NULL OR r.library = ?) AND (? IS NULL OR r.subject = "     \
	"?) AND (? = 0 OR r.grade = ?) AND (? = 0 OR r.featured = 1) AND "     \
	"(? = 0 OR EXISTS (SELECT 1 FROM resources_favourites g WHERE "        \
	"g.resource_id = r.id AND g.person_id = ?)) AND (? IS NULL OR "        \
	"r.status = ?)"                                                        \
	" AND (? = 0 OR (r.kind = 'link' AND r.link_state = 'broken'))"        \
	" AND (? IS NULL OR r.id IN (SELECT t.resource_id FROM "               \
	"resources_terms t WHERE t.term = ?))"                                 \
	" AND (? IS NULL OR r.id IN (SELECT t.resource_id FROM "               \
	"resources_terms t WHERE t.term = ?))"                                 \
	" AND (? IS NULL OR r.id IN (SELECT t.resource_id FROM "               \
	"resources_terms t WHERE t.term = ?))"                                 \
	" AND (? IS NULL OR r.id IN (SELECT t.resource_id FROM "               \
	"resources_terms t WHERE t.term = ?))"                                 \
	" AND (? IS NULL OR r.id IN (SELECT t.resource_id FROM "               \
	"resources_terms t WHERE t.term = ?))"                                 \
	" AND (? IS NULL OR r.id IN (SELECT t.resource_id FROM "               \
	"resources_terms t WHERE t.term = ?))"                                 \
	" AND (? IS NULL OR r.id IN (SELECT t.resource_id FROM "               \
	"resources_terms t WHERE t.term = ?))"                                 \
	" AND (? IS NULL OR r.id IN (SELECT t.resource_id FROM "               \
	"resources_terms t WHERE t.term = ?))"                                 \
	" AND (? IS NULL OR lower(r.title || ' ' || r.description || ' ' "     \
	"|| r.unit) LIKE ? ESCAPE '\\')"                                       \
	" AND (? IS NULL OR lower(r.title || ' ' || r.description || ' ' "     \
	"|| r.unit) LIKE ? ESCAPE '\\')"                                       \
	" AND (? IS NULL OR lower(r.title || ' ' || r.description || ' ' "     \
	"|| r.unit) LIKE ? ESCAPE '\\')"                                       \
	" AND (? IS NULL OR lower(r.title || ' ' || r.description || ' ' "     \
	"|| r.unit) LIKE ? ESCAPE '\\')"
#define RESOURCES_LIST_TYPES                                                   \
	"i" RESOURCES_SEEN_TYPES "ssss"                                        \
	"iiiii"                                                                \
	"ss"                                                                   \
	"i"                                                                    \
	"ssssssssssssssss"                                                     \
	"ssssssss"

struct resources_filter {
	const char *library, *subject, *status, *q, *sort;
	int64_t grade, featured, favourites, broken, limit;
	int64_t after_id, after_downloads; /* the cursor; 0 / -1: none */
};

/* Reads and checks the list's query; 0, or 422 replied. */
static int
resources_filter_read(jx_req *req, struct resources_filter *f)
{
	const char *g = jx_host->req_query(req, "grade");
	const char *c = jx_host->req_query(req, "cursor");
	const char *l = jx_host->req_query(req, "limit");
	char *end;

	memset(f, 0, sizeof(*f));
	f->after_downloads = -1;
	f->library = jx_host->req_query(req, "library");
	f->subject = jx_host->req_query(req, "subject");
	f->status = jx_host->req_query(req, "status");
	f->q = jx_host->req_query(req, "q");
	f->sort = jx_host->req_query(req, "sort");
	f->featured = jx_host->req_query(req, "featured") != NULL &&
	              strcmp(jx_host->req_query(req, "featured"), "0") != 0;
	f->favourites = jx_host->req_query(req, "favourites") != NULL &&
	                strcmp(jx_host->req_query(req, "favourites"), "0") != 0;
	/* ?link_state=broken: the links the daily check found dead, for
	 * their authors and the admins to mend or remove */
	f->broken =
	    jx_host->req_query(req, "link_state") != NULL &&
	    strcmp(jx_host->req_query(req, "link_state"), "broken") == 0;
	if (jx_host->req_query(req, "link_state") != NULL &&
	    *jx_host->req_query(req, "link_state") != '\0' && !f->broken)
		jx_host->problem_error(req, 0, "link_state",
		                       "link_state is broken");
	/* an empty value is no filter (a form's "all") */
	if (f->library != NULL && *f->library == '\0')
		f->library = NULL;
	if (f->subject != NULL && *f->subject == '\0')
		f->subject = NULL;
	if (f->q != NULL && *f->q == '\0')
		f->q = NULL;
	if (f->status != NULL && *f->status == '\0')
		f->status = NULL;
	if (f->library != NULL && strcmp(f->library, "teaching") != 0 &&
	    strcmp(f->library, "learning") != 0)
		jx_host->problem_error(req, 0, "library",
		                       "library is teaching or learning");
	if (f->subject != NULL && !resources_subject_ok(f->subject))
		jx_host->problem_error(req, 0, "subject", "no such subject");
	if (f->status != NULL && strcmp(f->status, "active") != 0 &&
	    strcmp(f->status, "proposed") != 0)
		jx_host->problem_error(req, 0, "status",
		                       "status is active or proposed");
	if (g != NULL && *g != '\0') {
		f->grade = strtoll(g, &end, 10);
		if (*end != '\0' || f->grade < 1 || f->grade > 12)
			jx_host->problem_error(req, 0, "grade",
			                       "grade is 1 to 12");
	}
	if (f->sort != NULL && *f->sort == '\0')
		f->sort = NULL;
	if (f->sort != NULL && strcmp(f->sort, "new") != 0 &&
	    strcmp(f->sort, "downloads") != 0)
		jx_host->problem_error(req, 0, "sort",
		                       "sort is new or downloads");
	if (f->q != NULL && jxp_chars(f->q) > 50)
		jx_host->problem_error(req, 0, "q",
		                       "a search is at most 50 characters");
	f->limit = l ? strtoll(l, NULL, 10) : 50;
	if (f->limit < 1 || f->limit > 500)
		f->limit = 50;
	if (c != NULL && *c != '\0') {
		long long a = 0, b = 0;
		int used = 0;

		if (f->sort != NULL && strcmp(f->sort, "downloads") == 0 &&
		    sscanf(c, "%lld.%lld%n", &a, &b, &used) == 2 &&
		    c[used] == '\0' && a >= 0 && b > 0) {
			f->after_downloads = a;
			f->after_id = b;
		} else if ((f->sort == NULL || strcmp(f->sort, "new") == 0) &&
		           sscanf(c, "%lld%n", &b, &used) == 1 &&
		           c[used] == '\0' && b > 0)
			f->after_id = b;
		else
			jx_host->problem_error(req, 0, "cursor",
			                       "not a cursor of this list");
	}
	if (jx_host->problem_count(req) > 0)
		return jxp_invalid(jx_host, req, NULL);
	return 0;
}

/* The items of the list as f asks (up to limit + 1), or NULL on error. */
static cJSON *
resources_query(jx_req *req, jx_db *db, const struct resources_who *w,
                const struct resources_filter *f, int *nomatch)
{
	const char *t[RESOURCES_QUERY_TERMS] = {0};
	const char *p[RESOURCES_PHRASES] = {0};
	int downloads = f->sort != NULL && strcmp(f->sort, "downloads") == 0;
	cJSON *items = cJSON_CreateArray();
	jx_stmt *st;

	*nomatch = 0;
	if (f->q != NULL) {
		int nt = resources_index_query(req, f->q, t);
		int np = resources_phrases(req, f->q, p);

		/* nothing searchable (only punctuation): nothing matches */
		if (nt == 0 && np == 0) {
			*nomatch = 1;
			return items;
		}
	}
#define RESOURCES_LIST_ARGS                                                    \
	w->person, RESOURCES_SEEN_ARGS(*w), f->library, f->library,            \
	    f->subject, f->subject, f->grade, f->grade, f->featured,           \
	    f->favourites, w->person, f->status, f->status, f->broken, t[0],   \
	    t[0], t[1], t[1], t[2], t[2], t[3], t[3], t[4], t[4], t[5], t[5],  \
	    t[6], t[6], t[7], t[7], p[0], p[0], p[1], p[1], p[2], p[2], p[3],  \
	    p[3]
	if (downloads)
		st = jx_host->db_query(
		    db,
		    "SELECT " RESOURCES_COLUMNS RESOURCES_FROM
		        RESOURCES_LIST_WHERE
		    " AND (? < 0 OR r.downloads < ? OR (r.downloads = ? AND "
		    "r.id < ?)) ORDER BY r.downloads DESC, r.id DESC LIMIT ?",
		    RESOURCES_LIST_TYPES "iiiii", RESOURCES_LIST_ARGS,
		    f->after_downloads, f->after_downloads, f->after_downloads,
		    f->after_id, f->limit + 1);
	else
		st = jx_host->db_query(
		    db,
		    "SELECT " RESOURCES_COLUMNS RESOURCES_FROM
		        RESOURCES_LIST_WHERE
		    " AND (? = 0 OR r.id < ?) ORDER BY r.id DESC LIMIT ?",
		    RESOURCES_LIST_TYPES "iii", RESOURCES_LIST_ARGS,
		    f->after_id, f->after_id, f->limit + 1);
#undef RESOURCES_LIST_ARGS
	if (st == NULL) {
		jx_host->log(JX_LOG_ERROR, "resources", "list: %s",
		             jx_host->db_errmsg(db));
		cJSON_Delete(items);
		return NULL;
	}
	while (jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddItemToArray(items, resources_row(req, st, w));
	jx_host->db_finish(st);
	return items;
}

/* {"items", "next_cursor"}: drops the extra row and writes the cursor
 * of the last one kept (downloads.id when sorted by downloads). */
static cJSON *
resources_page(jx_req *req, cJSON *items, const struct resources_filter *f)
{
	cJSON *o = cJSON_CreateObject();
	int n = cJSON_GetArraySize(items);

	if (n > f->limit) {
		cJSON *last;

		cJSON_DeleteItemFromArray(items, n - 1);
		last = cJSON_GetArrayItem(items, n - 2);
		if (f->sort != NULL && strcmp(f->sort, "downloads") == 0)
			cJSON_AddStringToObject(
			    o, "next_cursor",
			    jx_host->sprintf(
			        req, "%lld.%lld",
			        (long long)resources_int(last, "downloads"),
			        (long long)resources_int(last, "id")));
		else
			cJSON_AddStringToObject(
			    o, "next_cursor",
			    jx_host->sprintf(
			        req, "%lld",
			        (long long)resources_int(last, "id")));
	} else
		cJSON_AddNullToObject(o, "next_cursor");
	cJSON_AddItemToObject(o, "items", items);
	return o;
}

int
resources_list(jx_req *req, void *ud)
{
	struct resources_who w;
	struct resources_filter f;
	jx_db *db = jx_host->req_db(req);
	cJSON *items, *o, *subjects, *grades;
	int nomatch, rc;

	(void)ud;
	if (resources_who(req, &w) != 0)
		return jxp_forbidden(jx_host, req);
	if ((rc = resources_filter_read(req, &f)) != 0)
		return rc;
	/* the page opens on the library of the reader's role */
	if (!jx_host->req_is_api(req) && f.library == NULL && !f.favourites &&
	    !f.broken)
		f.library = w.staff ? "teaching" : "learning";
	if (!w.staff && f.library != NULL &&
	    strcmp(f.library, "teaching") == 0) {
		if (jx_host->req_is_api(req))
			return jx_host->reply_problem(
			    req, 403, "forbidden", "Forbidden",
			    "The teaching library is for staff.");
		f.library = "learning";
	}
	resources_link_daily(req);
	items = resources_query(req, db, &w, &f, &nomatch);
	if (items == NULL)
		return jxp_storage_error(jx_host, req);
	o = resources_page(req, items, &f);
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, o);

	/* the page: filters, the subject and grade choices, the forms */
	cJSON_AddStringToObject(
	    o, "title",
	    jx_host->t(req,
	               f.broken       ? "resources.broken.title"
	               : f.favourites ? "resources.favourites.title"
	               : f.status != NULL && strcmp(f.status, "proposed") == 0
	                   ? "resources.proposals"
	               : f.library != NULL && strcmp(f.library, "teaching") == 0
	                   ? "resources.library.teaching"
	                   : "resources.library.learning"));
	cJSON_AddStringToObject(o, "library", f.library ? f.library : "");
	cJSON_AddStringToObject(o, "subject", f.subject ? f.subject : "");
	cJSON_AddStringToObject(o, "status", f.status ? f.status : "");
	cJSON_AddNumberToObject(o, "grade", (double)f.grade);
	cJSON_AddStringToObject(o, "q", f.q ? f.q : "");
	cJSON_AddStringToObject(o, "sort", f.sort ? f.sort : "new");
	cJSON_AddBoolToObject(o, "favourites", f.favourites != 0);
	cJSON_AddBoolToObject(o, "broken", f.broken != 0);
	cJSON_AddBoolToObject(o, "searched", f.q != NULL);
	cJSON_AddBoolToObject(o, "staff", w.staff);
	cJSON_AddBoolToObject(o, "can_add", w.staff && !w.all);
	cJSON_AddBoolToObject(o, "curator", w.curator);
	subjects = cJSON_AddArrayToObject(o, "subjects");
	for (const char *const *s = resources_subjects(); *s != NULL; s++)
		cJSON_AddItemToArray(subjects, cJSON_CreateString(*s));
	grades = cJSON_AddArrayToObject(o, "grades");
	for (int g = 1; g <= 12; g++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "value", g);
		cJSON_AddStringToObject(x, "label",
		                        resources_grade_label(req, g));
		cJSON_AddBoolToObject(x, "selected", g == f.grade);
		cJSON_AddItemToArray(grades, x);
	}
	if (cJSON_GetStringValue(cJSON_GetObjectItem(o, "next_cursor")))
		cJSON_AddStringToObject(
		    o, "next_href",
		    jx_host->sprintf(
		        req, "/resources?library=%s&sort=%s%s&cursor=%s",
		        f.library ? f.library : "", f.sort ? f.sort : "new",
		        f.broken ? "&link_state=broken" : "",
		        cJSON_GetStringValue(
		            cJSON_GetObjectItem(o, "next_cursor"))));
	return jx_host->reply_view(req, 200, "resources/list", o);
}

/* ---- edit and curate --------------------------------------------------- */

static const struct jx_field resources_patch_spec[] = {
    {"title", JX_FIELD_STRING, 0, 1, 100},
    {"description", JX_FIELD_TEXT, 0, 0, 2000},
    {"subject", JX_FIELD_STRING, 0, 1, 20},
    {"grade", JX_FIELD_INT, 0, 1, 12},
    {"unit", JX_FIELD_STRING, 0, 0, 100},
    {"featured", JX_FIELD_BOOL, 0, 0, 0},
    {"status", JX_FIELD_STRING, 0, 1, 20},
    {NULL, 0, 0, 0, 0},
};

/* Applies a checked change b to resource id; the status replied. */
static int
resources_change(jx_req *req, int64_t id, const cJSON *b)
{
	struct resources_who w;
	jx_db *db = jx_host->req_db(req);
	cJSON *cur = resources_json(req, db, id), *o;
	const char *library, *status;
	const cJSON *featured = cJSON_GetObjectItemCaseSensitive(b, "featured");
	int edits = 0;
	int64_t author;

	if (cur == NULL || resources_who(req, &w) != 0)
		return jxp_not_found(jx_host, req);
	library = jx_host->strdup(req, resources_str(cur, "library"));
	author = jxp_one(jx_host, db,
	                 "SELECT author_person_id FROM resources_items WHERE "
	                 "id = ?",
	                 "i", id);
	cJSON_Delete(cur);
	for (const char *const *k =
	         (const char *const[]){"title", "description", "subject",
	                               "grade", "unit", NULL};
	     *k != NULL; k++)
		edits += cJSON_GetObjectItemCaseSensitive(b, *k) != NULL;
	status = resources_str(b, "status");
	if (edits > 0 && author != w.person)
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "Only the author edits a resource.");
	if ((featured != NULL || status != NULL) &&
	    (!w.curator || strcmp(library, "learning") != 0))
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "District administrators curate the learning library.");
	if (resources_str(b, "subject") != NULL &&
	    !resources_subject_ok(resources_str(b, "subject")))
		return resources_bad(req, "subject", "no such subject");
	if (status != NULL && strcmp(status, "active") != 0)
		return resources_bad(req, "status",
		                     "status is active (accept a proposal)");
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (jx_host->db_exec(
	        db,
	        "UPDATE resources_items SET title = COALESCE(?, title), "
	        "description = COALESCE(?, description), subject = "
	        "COALESCE(?, subject), grade = CASE WHEN ? > 0 THEN ? ELSE "
	        "grade END, unit = COALESCE(?, unit), featured = CASE WHEN ? "
	        ">= 0 THEN ? ELSE featured END, status = COALESCE(?, status), "
	        "updated_at = ? WHERE id = ?",
	        "sssiisiisii", resources_str(b, "title"),
	        resources_str(b, "description"), resources_str(b, "subject"),
	        resources_int(b, "grade"), resources_int(b, "grade"),
	        resources_str(b, "unit"),
	        (int64_t)(featured == NULL ? -1 : cJSON_IsTrue(featured)),
	        (int64_t)cJSON_IsTrue(featured), status, jx_host->now(),
	        id) < 0)
		goto fail;
	if (edits > 0) {
		jx_stmt *st =
		    jx_host->db_query(db,
		                      "SELECT title, description, unit "
		                      "FROM resources_items WHERE id = ?",
		                      "i", id);
		int rc = -1;

		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			const char *t =
			    jx_host->strdup(req, jx_host->db_text(st, 0));
			const char *d =
			    jx_host->strdup(req, jx_host->db_text(st, 1));
			const char *u =
			    jx_host->strdup(req, jx_host->db_text(st, 2));

			jx_host->db_finish(st);
			st = NULL;
			rc = resources_index_put(db, id, t, d, u);
		}
		jx_host->db_finish(st);
		if (rc != 0)
			goto fail;
	}
	if ((featured != NULL || status != NULL) &&
	    jx_host->audit(
	        req, "resources.curate",
	        jx_host->sprintf(req, "resource:%lld", (long long)id), b) != 0)
		goto fail;
	if (jx_host->db_commit(db) != 0)
		goto fail;
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req,
		    jx_host->sprintf(req, "/resources/%lld", (long long)id));
	o = resources_json(req, db, id);
	return jx_host->reply_json(req, 200, o);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

/* Reads the fields of spec for visible resource {id} and changes it. */
static int
resources_change_fields(jx_req *req, const struct jx_field *spec)
{
	int64_t id = jx_host->req_param_id(req, "id");
	const cJSON *b;

	if (id <= 0 || resources_visible(req, jx_host->req_db(req), id) != 1)
		return jxp_not_found(jx_host, req);
	b = jx_host->req_fields(req, spec);
	if (b == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, NULL)
		           : jx_host->req_status(req);
	return resources_change(req, id, b);
}

int
resources_patch(jx_req *req, void *ud)
{
	(void)ud;
	return resources_change_fields(req, resources_patch_spec);
}

static const struct jx_field resources_curate_spec[] = {
    {"featured", JX_FIELD_BOOL, 0, 0, 0},
    {"status", JX_FIELD_STRING, 0, 1, 20},
    {NULL, 0, 0, 0, 0},
};

int
resources_form_curate(jx_req *req, void *ud)
{
	(void)ud;
	return resources_change_fields(req, resources_curate_spec);
}

/* ---- removal ----------------------------------------------------------- */

static int
resources_remove(jx_req *req, int64_t id, const char *reason)
{
	struct resources_who w;
	jx_db *db = jx_host->req_db(req);
	jx_stmt *st;
	int64_t school = 0, district = 0, author = 0;
	const char *ref = jx_host->sprintf(req, "resource:%lld", (long long)id);
	const char *title = "";
	cJSON *detail;
	int rc;

	if (resources_who(req, &w) != 0 || resources_visible(req, db, id) != 1)
		return jxp_not_found(jx_host, req);
	st = jx_host->db_query(db,
	                       "SELECT school_id, district_id, "
	                       "author_person_id, title FROM resources_items "
	                       "WHERE id = ?",
	                       "i", id);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		school = jx_host->db_int(st, 0);
		district = jx_host->db_int(st, 1);
		author = jx_host->db_int(st, 2);
		title = jx_host->strdup(req, jx_host->db_text(st, 3));
	}
	jx_host->db_finish(st);
	if (!resources_may_remove(&w, school, district, author))
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "The author, the school's administrator (school items) or "
		    "the district's (district items) removes a resource.");
	if (reason != NULL && *reason == '\0')
		reason = NULL;
	if (reason == NULL && author != w.person)
		return resources_bad(req, "reason",
		                     "say why the resource is removed");
	if (reason != NULL && jxp_chars(reason) > 200)
		return resources_bad(req, "reason",
		                     "a reason is at most 200 characters");
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (jx_host->db_exec(db,
	                     "UPDATE resources_items SET status = 'removed', "
	                     "removed_reason = ?, removed_by = ?, removed_at = "
	                     "?, featured = 0 WHERE id = ?",
	                     "siii", reason, w.person, jx_host->now(),
	                     id) < 0 ||
	    resources_index_drop(db, id) != 0 ||
	    jx_host->db_exec(db,
	                     "DELETE FROM resources_favourites WHERE "
	                     "resource_id = ?",
	                     "i", id) < 0 ||
	    jx_host->db_exec(db,
	                     "DELETE FROM resources_previews WHERE "
	                     "resource_id = ?",
	                     "i", id) < 0 ||
	    jx_host->file_detach(req, 0, ref) < 0)
		goto fail;
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "id", (double)id);
	cJSON_AddNumberToObject(detail, "author_person_id", (double)author);
	cJSON_AddNumberToObject(detail, "school_id", (double)school);
	cJSON_AddNumberToObject(detail, "district_id", (double)district);
	rc = jx_host->publish(db, "resources.removed", detail);
	cJSON_Delete(detail);
	if (rc != 0)
		goto fail;
	/* the author learns why, in the app (template resources_removed:
	 * {"title","reason"}) */
	if (author != w.person) {
		struct jx_message m = {
		    .size = sizeof(struct jx_message),
		    .channel = "inapp",
		    .to = jx_host->sprintf(req, "%lld", (long long)author),
		    .template_name = "resources_removed",
		    .ref = ref,
		};
		cJSON *params = cJSON_CreateObject();
		int64_t sent;

		cJSON_AddStringToObject(params, "title", title);
		cJSON_AddStringToObject(params, "reason", reason);
		m.params = params;
		sent = jx_host->send(db, &m);
		cJSON_Delete(params);
		if (sent < 0)
			goto fail;
	}
	detail = cJSON_CreateObject();
	if (reason != NULL)
		cJSON_AddStringToObject(detail, "reason", reason);
	cJSON_AddBoolToObject(detail, "by_author", author == w.person);
	rc = jx_host->audit(req, "resources.remove", ref, detail);
	cJSON_Delete(detail);
	if (rc != 0 || jx_host->db_commit(db) != 0)
		goto fail;
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(req, "/resources");
	return jx_host->reply_json(req, 204, NULL);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

int
resources_delete(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	const char *reason = jx_host->req_query(req, "reason");
	const char *ct = jx_host->req_header(req, "Content-Type");

	(void)ud;
	if (id <= 0)
		return jxp_not_found(jx_host, req);
	/* the reason in a JSON body {"reason"}, or ?reason= */
	if (reason == NULL && ct != NULL &&
	    strncmp(ct, "application/json", 16) == 0) {
		cJSON *b = jx_host->req_json(req);
		const cJSON *r;

		if (b == NULL)
			return jx_host->req_status(req);
		r = cJSON_GetObjectItemCaseSensitive(b, "reason");
		if (r != NULL && !cJSON_IsString(r))
			return resources_bad(req, "reason",
			                     "reason is a string");
		reason = cJSON_GetStringValue(r);
	}
	return resources_remove(req, id, reason);
}

int
resources_form_delete(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");

	(void)ud;
	if (id <= 0)
		return jxp_not_found(jx_host, req);
	return resources_remove(req, id, jx_host->req_form(req, "reason"));
}

/* ---- downloads and favourites ------------------------------------------ */

int
resources_download(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	jx_stmt *st;
	const char *kind = NULL, *url = NULL;
	int64_t fid = 0;
	char why[160];

	(void)ud;
	if (id <= 0 || resources_visible(req, db, id) != 1)
		return jxp_not_found(jx_host, req);
	st = jx_host->db_query(db,
	                       "SELECT kind, url, COALESCE(file_id, 0) FROM "
	                       "resources_items WHERE id = ?",
	                       "i", id);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		kind = jx_host->strdup(req, jx_host->db_text(st, 0));
		url = jx_host->db_text(st, 1)
		          ? jx_host->strdup(req, jx_host->db_text(st, 1))
		          : NULL;
		fid = jx_host->db_int(st, 2);
	}
	jx_host->db_finish(st);
	if (kind == NULL)
		return jxp_not_found(jx_host, req);
	/* a link is followed only while its host is still public: a name
	 * may have been pointed at the school's own network since */
	if (strcmp(kind, "link") == 0 &&
	    resources_url_check(url, why, sizeof(why)) != 0)
		return jx_host->reply_problem(req, 409, "link-refused",
		                              "Link refused", why);
	if (jx_host->db_begin(db) != 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE resources_items SET downloads = "
	                     "downloads + 1 WHERE id = ?",
	                     "i", id) < 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (strcmp(kind, "file") == 0)
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/api/v1/files/%lld?download=1",
		                          (long long)fid));
	return jx_host->reply_raw(
	    req, 302, "text/plain; charset=utf-8", "", 0,
	    jx_host->sprintf(req, "Location: %s\r\n", url));
}

static int
resources_fav_set(jx_req *req, int64_t id, int on)
{
	jx_db *db = jx_host->req_db(req);
	const struct jx_identity *i = jx_host->identity(req);
	int64_t rc;

	if (i == NULL || id <= 0 || resources_visible(req, db, id) != 1)
		return jxp_not_found(jx_host, req);
	if (on)
		rc = jx_host->db_exec(db,
		                      "INSERT INTO resources_favourites("
		                      "person_id, resource_id, created_at) "
		                      "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		                      "iii", i->person_id, id, jx_host->now());
	else
		rc = jx_host->db_exec(db,
		                      "DELETE FROM resources_favourites WHERE "
		                      "person_id = ? AND resource_id = ?",
		                      "ii", i->person_id, id);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req,
		    jx_host->sprintf(req, "/resources/%lld", (long long)id));
	return jx_host->reply_json(req, 204, NULL);
}

int
resources_fav_put(jx_req *req, void *ud)
{
	(void)ud;
	return resources_fav_set(req, jx_host->req_param_id(req, "id"), 1);
}

int
resources_fav_delete(jx_req *req, void *ud)
{
	(void)ud;
	return resources_fav_set(req, jx_host->req_param_id(req, "id"), 0);
}

int
resources_form_fav(jx_req *req, void *ud)
{
	const char *on = jx_host->req_form(req, "on");

	(void)ud;
	return resources_fav_set(req, jx_host->req_param_id(req, "id"),
	                         on != NULL && strcmp(on, "1") == 0);
}

int
resources_page_new(jx_req *req, void *ud)
{
	struct resources_who w;
	cJSON *d, *subjects, *grades;
	const char *lib = jx_host->req_query(req, "library");

	(void)ud;
	if (resources_who(req, &w) != 0 || !w.staff || w.all)
		return jxp_forbidden(jx_host, req);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "library",
	                        lib != NULL && strcmp(lib, "learning") == 0
	                            ? "learning"
	                            : "teaching");
	cJSON_AddBoolToObject(d, "district_only", w.school <= 0);
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "resources.new.title"));
	cJSON_AddNumberToObject(
	    d, "upload_bytes",
	    (double)jx_host->config_int("limits.upload_bytes", 20 << 20));
	subjects = cJSON_AddArrayToObject(d, "subjects");
	for (const char *const *s = resources_subjects(); *s != NULL; s++)
		cJSON_AddItemToArray(subjects, cJSON_CreateString(*s));
	grades = cJSON_AddArrayToObject(d, "grades");
	for (int g = 1; g <= 12; g++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "value", g);
		cJSON_AddStringToObject(x, "label",
		                        resources_grade_label(req, g));
		cJSON_AddItemToArray(grades, x);
	}
	return jx_host->reply_view(req, 200, "resources/new", d);
}
