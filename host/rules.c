/*
 * rules.c — district rules. Every district runs scripts/rules/default.lua
 * with its own chunk laid over it: the chunk defines only what differs
 * (a function or a setting), everything else falls back to the defaults.
 * Chunks are stored as immutable versions; the district names its active
 * one. A new district is seeded from scripts/districts/<code>.lua when
 * that file exists (the shipped example.lua is never applied by itself).
 */
#include "host.h"
#include "luaenv.h"
#include "org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A district's chunk, loaded and called on a stack that its recursion
 * cannot exhaust (thread_on_big_stack). */
struct rules_run {
	struct luaenv *L;
	int64_t district, version;
	const char *source, *name;
	const cJSON *args;
	cJSON **result;
	char *err;
	size_t errlen;
	int rc;
};

static void
rules_run_call(void *p)
{
	struct rules_run *r = p;

	r->rc = luaenv_call_district_rule(r->L, r->district, r->version,
	                                  r->source, r->name, r->args,
	                                  r->result, r->err, r->errlen);
}

static void
rules_run_check(void *p)
{
	struct rules_run *r = p;

	r->rc = luaenv_check_district_chunk(r->L, r->source, r->err, r->errlen);
}

static int
rules_run(void (*fn)(void *), struct rules_run *r)
{
	r->rc = -1;
	if (thread_on_big_stack(fn, r) != 0)
		snprintf(r->err, r->errlen, "no thread for the rules");
	return r->rc;
}

int
rules_call_ex(jx_db *db, struct luaenv *L, int64_t district, const char *source,
              const char *name, const cJSON *args, cJSON **result,
              int64_t *version, char *err, size_t errlen)
{
	jx_stmt *st;
	char *active = NULL;
	int64_t v = -1;
	int rc;

	*result = NULL;
	if (L == NULL) {
		snprintf(err, errlen, "no Lua state on this thread");
		return -1;
	}
	if (source == NULL) {
		v = 0;
		if (district > 0) {
			st =
			    db_query(db,
			             "SELECT d.rules_version, v.source FROM "
			             "districts d LEFT JOIN rule_versions v ON "
			             "v.district_id = d.id AND v.version = "
			             "d.rules_version WHERE d.id = ?",
			             "i", district);
			if (st != NULL && db_step(st) == JX_DB_ROW &&
			    !db_is_null(st, 1)) {
				v = db_int(st, 0);
				active = strdup(db_text(st, 1));
			}
			db_finish(st);
		}
		source = active;
	}
	{
		struct rules_run r = {L,    district, v,   source, name,
		                      args, result,   err, errlen, 0};

		rc = rules_run(rules_run_call, &r);
	}
	free(active);
	if (rc == 0 && version != NULL)
		*version = v;
	return rc;
}

int
rules_call(jx_db *db, struct luaenv *L, int64_t district, const char *name,
           const cJSON *args, cJSON **result, char *err, size_t errlen)
{
	return rules_call_ex(db, L, district, NULL, name, args, result, NULL,
	                     err, errlen);
}

int64_t
rules_version(jx_db *db, int64_t district)
{
	return db_one(db,
	              "SELECT COALESCE(MAX(rules_version), 0) FROM districts "
	              "WHERE id = ?",
	              "i", district);
}

int64_t
rules_seed(jx_db *db, int64_t district, const char *code)
{
	char path[4096];
	FILE *f;
	struct buf b;
	char chunk[4096];
	size_t n;
	int64_t rc = 0;

	/* Codes are six digits (checked by the caller): no path tricks. */
	snprintf(path, sizeof(path), "%s/districts/%s.lua", app.scripts_dir,
	         code);
	f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (db_exec(db,
	            "INSERT INTO rule_versions(district_id, version, source, "
	            "activated_at) VALUES (?, 1, ?, ?)",
	            "isi", district, b.data ? b.data : "", jx_now()) != 1 ||
	    db_exec(db, "UPDATE districts SET rules_version = 1 WHERE id = ?",
	            "i", district) != 1)
		rc = -1;
	else
		rc = 1;
	buf_free(&b);
	return rc;
}

int
rules_defaults_loaded(jx_db *db)
{
	char digest[65];
	jx_stmt *st;
	cJSON *ev;
	int changed = 1, rc = -1;

	luaenv_rules_digest(digest);
	st = db_query(db, "SELECT value FROM host_meta WHERE key = ?", "s",
	              "rules.defaults_digest");
	if (st != NULL && db_step(st) == JX_DB_ROW)
		changed = strcmp(db_text(st, 0), digest) != 0;
	db_finish(st);
	if (!changed)
		return 0;
	ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "district_id", 0);
	cJSON_AddNumberToObject(ev, "version", 0);
	if (db_begin(db) == 0 &&
	    db_exec(db,
	            "INSERT INTO host_meta(key, value) VALUES (?, ?) ON "
	            "CONFLICT(key) DO UPDATE SET value = excluded.value",
	            "ss", "rules.defaults_digest", digest) == 1 &&
	    events_publish(db, "rules.activated", ev) == 0 &&
	    db_commit(db) == 0)
		rc = 1;
	else
		db_rollback(db);
	cJSON_Delete(ev);
	return rc;
}

int64_t
rules_account_district(jx_db *db, int64_t account)
{
	/* The district of the account's first active identity: the one
	 * whose rules its passwords follow. */
	return db_one(db,
	              "SELECT COALESCE(sc.district_id, i.district_id, 0) FROM "
	              "identities i LEFT JOIN students s ON s.person_id = "
	              "i.student_id LEFT JOIN schools sc ON sc.id = CASE WHEN "
	              "i.role IN ('parent','student') THEN s.school_id ELSE "
	              "i.school_id END WHERE i.account_id = ? AND i.status = "
	              "'active' ORDER BY i.id LIMIT 1",
	              "i", account);
}

/* ---- the district's rules over HTTP ---------------------------------- */

static int
rules_not_found(jx_req *req)
{
	return http_reply_problem(req, 404, "not-found", "Not found",
	                          "No such district.");
}

/* The district's admin and the city administrator manage its rules. */
static int
rules_scope(jx_req *req, int64_t *district)
{
	*district = http_param_id(req, "did");
	if (*district <= 0 ||
	    db_one(req->worker->db, "SELECT id FROM districts WHERE id = ?",
	           "i", *district) <= 0 ||
	    !access_may(req->worker->db, req->identity, JX_SEE_DISTRICT,
	                *district))
		return rules_not_found(req);
	if (strcmp(req->identity->role, "city_admin") != 0 &&
	    strcmp(req->identity->role, "district_admin") != 0)
		return http_reply_problem(req, 403, "forbidden", "Forbidden",
		                          "District administrators only.");
	return 0;
}

static cJSON *
rules_active_json(jx_db *db, int64_t district)
{
	jx_stmt *st = db_query(db,
	                       "SELECT d.rules_version, v.source, "
	                       "v.activated_at FROM districts d LEFT JOIN "
	                       "rule_versions v ON v.district_id = d.id AND "
	                       "v.version = d.rules_version WHERE d.id = ?",
	                       "i", district);
	cJSON *o = cJSON_CreateObject();

	if (st != NULL && db_step(st) == JX_DB_ROW && !db_is_null(st, 1)) {
		char at[40];

		clock_format_iso(db_int(st, 2), at, sizeof(at));
		cJSON_AddStringToObject(o, "source", db_text(st, 1));
		cJSON_AddNumberToObject(o, "version", (double)db_int(st, 0));
		cJSON_AddStringToObject(o, "activated_at", at);
	} else {
		cJSON_AddStringToObject(o, "source", "");
		cJSON_AddNumberToObject(o, "version", 0);
		cJSON_AddNullToObject(o, "activated_at");
	}
	db_finish(st);
	return o;
}

static int
route_rules_get(jx_req *req, void *ud)
{
	int64_t district;
	int rc = rules_scope(req, &district);

	if (rc != 0)
		return rc;
	return http_reply_json(req, 200,
	                       rules_active_json(req->worker->db, district));
}

/* Makes version the district's active rules, audit-logged, and tells
 * subscribers (stored rule results are recomputed by their owners). */
static int
rules_make_active(jx_req *req, int64_t district, int64_t version,
                  const char *action)
{
	jx_db *db = req->worker->db;
	cJSON *ev = cJSON_CreateObject();
	char target[48];
	int rc = -1;

	cJSON_AddNumberToObject(ev, "district_id", (double)district);
	cJSON_AddNumberToObject(ev, "version", (double)version);
	snprintf(target, sizeof(target), "district:%lld v%lld",
	         (long long)district, (long long)version);
	if (db_exec(db, "UPDATE districts SET rules_version = ? WHERE id = ?",
	            "ii", version, district) == 1 &&
	    audit_req(req, action, target, NULL) == 0 &&
	    events_publish(db, "rules.activated", ev) == 0)
		rc = 0;
	cJSON_Delete(ev);
	return rc;
}

/* The line a Lua error names ("chunk:12: message"), or 0. */
static int
rules_error_line(const char *err)
{
	for (const char *p = strchr(err, ':'); p != NULL;
	     p = strchr(p + 1, ':'))
		if (p[1] >= '0' && p[1] <= '9') {
			char *end;
			long n = strtol(p + 1, &end, 10);

			if (*end == ':' && n > 0 && n < 1000000)
				return (int)n;
		}
	return 0;
}

static int
route_rules_put(jx_req *req, void *ud)
{
	jx_db *db = req->worker->db;
	int64_t district, version;
	const cJSON *src;
	char err[512];
	cJSON *body;
	int rc = rules_scope(req, &district);

	if (rc != 0)
		return rc;
	body = http_json(req);
	if (body == NULL)
		return req->status;
	src = cJSON_GetObjectItemCaseSensitive(body, "source");
	if (!cJSON_IsString(src) || strlen(src->valuestring) > 256 * 1024) {
		problem_add_error(
		    &req->errors, 0, "source",
		    "source must be a Lua chunk (at most 256 KiB)");
		return http_reply_problem(req, 422, "validation-failed",
		                          "Invalid input",
		                          "source is required.");
	}
	/* A chunk that does not compile or run is never activated. */
	if (req->worker->lua == NULL ||
	    rules_run(rules_run_check,
	              &(struct rules_run){.L = req->worker->lua,
	                                  .source = src->valuestring,
	                                  .err = err,
	                                  .errlen = sizeof(err)}) != 0) {
		/* row: the chunk's line, as in the dry run */
		problem_add_error(&req->errors, rules_error_line(err), "source",
		                  err);
		return http_reply_problem(req, 422, "rules-invalid",
		                          "The rules do not run", err);
	}
	/* Initial passwords a stranger could compute are refused too. */
	if (org_rules_check(db, req->worker->lua, district, src->valuestring,
	                    req->lang, err, sizeof(err)) != 0) {
		problem_add_error(&req->errors, 0, "source", err);
		return http_reply_problem(req, 422, "rules-invalid",
		                          "The rules are not acceptable", err);
	}
	if (db_begin(db) != 0)
		goto fail;
	version = db_one(db,
	                 "SELECT COALESCE(MAX(version), 0) + 1 FROM "
	                 "rule_versions WHERE district_id = ?",
	                 "i", district);
	if (version <= 0 ||
	    db_exec(db,
	            "INSERT INTO rule_versions(district_id, version, source, "
	            "activated_at, activated_by) VALUES (?, ?, ?, ?, ?)",
	            "iisii", district, version, src->valuestring, jx_now(),
	            req->account_id) != 1 ||
	    rules_make_active(req, district, version, "rules.activated") != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		goto fail;
	}
	return http_reply_json(req, 200, rules_active_json(db, district));
fail:
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

static int
route_rules_rollback(jx_req *req, void *ud)
{
	jx_db *db = req->worker->db;
	int64_t district;
	const cJSON *v;
	cJSON *body;
	int rc = rules_scope(req, &district);

	if (rc != 0)
		return rc;
	body = http_json(req);
	if (body == NULL)
		return req->status;
	v = cJSON_GetObjectItemCaseSensitive(body, "version");
	if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
	    v->valuedouble != (double)(int64_t)v->valuedouble ||
	    db_one(db,
	           "SELECT 1 FROM rule_versions WHERE district_id = ? AND "
	           "version = ?",
	           "ii", district, (int64_t)v->valuedouble) != 1) {
		problem_add_error(&req->errors, 0, "version",
		                  "version must be one of the district's "
		                  "earlier versions");
		return http_reply_problem(req, 422, "validation-failed",
		                          "Invalid input", "No such version.");
	}
	/* An earlier version is refused as a new one would be: the
	 * district's SMS gateway may be gone since. */
	{
		char err[512], *src = NULL;
		jx_stmt *st = db_query(db,
		                       "SELECT source FROM rule_versions WHERE "
		                       "district_id = ? AND version = ?",
		                       "ii", district, (int64_t)v->valuedouble);
		int bad;

		snprintf(err, sizeof(err), "the version cannot be read");
		if (st != NULL && db_step(st) == JX_DB_ROW)
			src = strdup(db_text(st, 0));
		db_finish(st);
		bad = src == NULL ||
		      org_rules_check(db, req->worker->lua, district, src,
		                      req->lang, err, sizeof(err)) != 0;
		free(src);
		if (bad) {
			problem_add_error(&req->errors, 0, "version", err);
			return http_reply_problem(
			    req, 422, "rules-invalid",
			    "The rules are not acceptable", err);
		}
	}
	if (db_begin(db) != 0 ||
	    rules_make_active(req, district, (int64_t)v->valuedouble,
	                      "rules.rolled_back") != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          NULL);
	}
	return http_reply_json(req, 200, rules_active_json(db, district));
}

static int
route_rules_versions(jx_req *req, void *ud)
{
	int64_t district;
	int rc = rules_scope(req, &district);
	cJSON *rows;

	(void)ud;
	if (rc != 0)
		return rc;
	rows = db_rows(req->worker->db,
	               "SELECT v.version, v.activated_at, v.activated_by, "
	               "v.version = d.rules_version AS active FROM "
	               "rule_versions v JOIN districts d ON d.id = "
	               "v.district_id WHERE v.district_id = ? ORDER BY "
	               "v.version DESC",
	               "i", district);
	if (rows == NULL)
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          NULL);
	{
		cJSON *r;

		cJSON_ArrayForEach(r, rows)
		{
			cJSON *at = cJSON_GetObjectItem(r, "activated_at");
			cJSON *active = cJSON_GetObjectItem(r, "active");
			char iso[40];

			clock_format_iso((int64_t)at->valuedouble, iso,
			                 sizeof(iso));
			cJSON_ReplaceItemInObject(r, "activated_at",
			                          cJSON_CreateString(iso));
			cJSON_ReplaceItemInObject(
			    r, "active", cJSON_CreateBool(active->valuedouble));
		}
	}
	return http_reply_json(req, 200, rows);
}

/* Routes of the host's built-in module (host_route_tables). */
const struct jx_route rules_routes[] = {
    {"GET", "/api/v1/districts/{did}/rules", route_rules_get, NULL, 0},
    {"PUT", "/api/v1/districts/{did}/rules", route_rules_put, NULL, 0},
    {"POST", "/api/v1/districts/{did}/rules/rollback", route_rules_rollback,
     NULL, 0},
    {"GET", "/api/v1/districts/{did}/rules/versions", route_rules_versions,
     NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};
