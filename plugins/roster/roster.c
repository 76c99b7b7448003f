/*
 * roster.c — the roster plugin: classes, teachers, students and parents,
 * their Excel imports and exports, and account slips (API.md, "Roster").
 * This file holds the descriptor and the helpers the other files share.
 */
#include "roster.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

const struct jx_host *roster_host;
const struct jx_org_v1 *roster_org;

int
roster_not_found(jx_req *req)
{
	return roster_host->reply_problem(req, 404, "not-found", "Not found",
	                                  "No such resource.");
}

int
roster_forbidden(jx_req *req)
{
	return roster_host->reply_problem(req, 403, "forbidden", "Forbidden",
	                                  "Your identity may not do this.");
}

int
roster_storage_error(jx_req *req)
{
	return roster_host->reply_problem(req, 500, "storage", "Storage error",
	                                  "Nothing was changed.");
}

int
roster_invalid(jx_req *req, const char *detail)
{
	return roster_host->reply_problem(req, 422, "validation-failed",
	                                  "Invalid input",
	                                  detail ? detail
	                                         : "Some fields are missing or "
	                                           "invalid.");
}

static size_t
roster_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

const char *
roster_string(jx_req *req, const cJSON *body, const char *name, size_t max,
              int required, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
	const char *s, *e;
	char *out;

	if (v == NULL || cJSON_IsNull(v)) {
		if (required) {
			roster_host->problem_error(
			    req, 0, name,
			    roster_host->sprintf(req, "%s is required", name));
			*bad = 1;
		}
		return NULL;
	}
	if (!cJSON_IsString(v)) {
		roster_host->problem_error(
		    req, 0, name,
		    roster_host->sprintf(req, "%s must be a string", name));
		*bad = 1;
		return NULL;
	}
	s = v->valuestring;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	out = roster_host->alloc(req, (size_t)(e - s) + 1);
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	if ((required && *out == '\0') || roster_chars(out) > max) {
		roster_host->problem_error(
		    req, 0, name,
		    roster_host->sprintf(
		        req, "%s must have 1 to %zu characters", name, max));
		*bad = 1;
		return NULL;
	}
	return out;
}

int64_t
roster_one(jx_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	jx_stmt *st;
	int64_t v = 0;

	va_start(ap, types);
	st = roster_host->db_vquery(db, sql, types, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	if (roster_host->db_step(st) == JX_DB_ROW)
		v = roster_host->db_int(st, 0);
	roster_host->db_finish(st);
	return v;
}

int
roster_manage(jx_req *req, int64_t school)
{
	if (school <= 0 || !roster_host->may(req, JX_SEE_SCHOOL, school))
		return roster_not_found(req);
	if (!roster_host->may(req, JX_MANAGE_SCHOOL, school))
		return roster_forbidden(req);
	return 0;
}

int64_t
roster_school_district(jx_db *db, int64_t school)
{
	int64_t d = roster_one(
	    db, "SELECT district_id FROM schools WHERE id = ?", "i", school);

	return d > 0 ? d : 0;
}

int
roster_student_changed(jx_db *db, int64_t student)
{
	cJSON *ev = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(ev, "student_id", (double)student);
	rc = roster_host->publish(db, "roster.student_changed", ev);
	cJSON_Delete(ev);
	return rc;
}

int
roster_school_changed(jx_db *db, int64_t school)
{
	cJSON *ev = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(ev, "school_id", (double)school);
	rc = roster_host->publish(db, "roster.school_changed", ev);
	cJSON_Delete(ev);
	return rc;
}

int
roster_role(jx_req *req, const char *roles)
{
	const struct jx_identity *i = roster_host->identity(req);
	size_t n;

	if (i == NULL)
		return 0;
	n = strlen(i->role);
	for (const char *p = roles; (p = strstr(p, i->role)) != NULL; p += n)
		if ((p == roles || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

void
roster_page(jx_req *req, int64_t *limit, int64_t *after)
{
	const char *l = roster_host->req_query(req, "limit");
	const char *c = roster_host->req_query(req, "cursor");

	*limit = l ? atoll(l) : 50;
	if (*limit < 1)
		*limit = 50;
	if (*limit > 500)
		*limit = 500;
	*after = c ? atoll(c) : 0;
	if (*after < 0)
		*after = 0;
}

cJSON *
roster_items(cJSON *items, int64_t limit, const char *id_key)
{
	cJSON *o = cJSON_CreateObject();
	int n = cJSON_GetArraySize(items);

	/* One row more than the limit was asked for: it says whether a
	 * next page exists. */
	if (n > limit) {
		cJSON *last;
		char cursor[32];

		cJSON_DeleteItemFromArray(items, n - 1);
		last = cJSON_GetArrayItem(items, n - 2);
		snprintf(
		    cursor, sizeof(cursor), "%lld",
		    (long long)cJSON_GetObjectItem(last, id_key)->valuedouble);
		cJSON_AddItemToObject(o, "items", items);
		cJSON_AddStringToObject(o, "next_cursor", cursor);
		return o;
	}
	cJSON_AddItemToObject(o, "items", items);
	cJSON_AddNullToObject(o, "next_cursor");
	return o;
}

int
roster_routes(struct jx_registrar *reg, const struct roster_route *r, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (reg->route(reg, r[k].method, r[k].pattern, r[k].h, NULL,
		               r[k].flags) != 0)
			return -1;
	return 0;
}

static int
roster_init(const struct jx_host *h, struct jx_registrar *reg)
{
	roster_host = h;
	roster_org = h->service(JX_ORG_SERVICE);
	if (roster_org == NULL) {
		h->log(JX_LOG_ERROR, "roster", "the host has no %s service",
		       JX_ORG_SERVICE);
		return -1;
	}
	if (roster_classes_init(reg) != 0 || roster_people_init(reg) != 0 ||
	    roster_import_init(reg) != 0 || roster_sheets_init(reg) != 0 ||
	    roster_slips_init(reg) != 0 || roster_guardians_init(reg) != 0)
		return -1;
	reg->menu(reg, "school_admin,district_admin", "nav.roster.classes",
	          "/roster/classes", 20);
	reg->menu(reg, "school_admin", "nav.roster.students",
	          "/roster/students", 21);
	reg->menu(reg, "school_admin", "nav.roster.teachers",
	          "/roster/teachers", 22);
	reg->menu(reg, "school_admin", "nav.roster.import", "/roster/import",
	          23);
	return 0;
}

static const char *const roster_migrations[] = {
    /* 1: import bookkeeping (the uploaded sheet lives only for the
     * job; a row per import for the history page) */
    "CREATE TABLE roster_imports ("
    "  id INTEGER PRIMARY KEY,"
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  job_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  mode TEXT NOT NULL,"
    "  file_name TEXT,"
    "  sheet BLOB,"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX roster_imports_school ON roster_imports(school_id);",
    NULL};

static const struct jx_plugin roster_plugin = {
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = JX_ABI_MINOR,
    .name = "roster",
    .version = "1.0.0",
    .migrations = roster_migrations,
    .init = roster_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &roster_plugin;
}
