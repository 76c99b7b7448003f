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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
rules_call(jx_db *db, struct luaenv *L, int64_t district, const char *name,
           const cJSON *args, cJSON **result, char *err, size_t errlen)
{
	jx_stmt *st;
	char *source = NULL;
	int64_t version = 0;
	int rc;

	*result = NULL;
	if (L == NULL) {
		snprintf(err, errlen, "no Lua state on this thread");
		return -1;
	}
	if (district > 0) {
		st = db_query(
		    db,
		    "SELECT d.rules_version, v.source FROM districts d "
		    "LEFT JOIN rule_versions v ON v.district_id = d.id "
		    "AND v.version = d.rules_version WHERE d.id = ?",
		    "i", district);
		if (st != NULL && db_step(st) == JX_DB_ROW &&
		    !db_is_null(st, 1)) {
			version = db_int(st, 0);
			source = strdup(db_text(st, 1));
		}
		db_finish(st);
	}
	rc = luaenv_call_district_rule(L, district, version, source, name, args,
	                               result, err, errlen);
	free(source);
	return rc;
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
