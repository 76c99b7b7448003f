/*
 * test_db.c — the database API: migrations, the statement cache, nested
 * transactions, rollback, a full disk reported as an error, problem+json
 * bodies and the online backup.
 */
#include "check.h"
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const steps_v1[] = {
    "CREATE TABLE t_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
    "UNIQUE)",
    NULL};
static const char *const steps_v2[] = {
    "CREATE TABLE t_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
    "UNIQUE)",
    "ALTER TABLE t_items ADD COLUMN n INTEGER NOT NULL DEFAULT 0; "
    "CREATE INDEX t_items_n ON t_items(n)",
    NULL};
static const char *const steps_bad[] = {
    "CREATE TABLE t_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
    "UNIQUE)",
    "ALTER TABLE t_items ADD COLUMN n INTEGER NOT NULL DEFAULT 0; "
    "CREATE INDEX t_items_n ON t_items(n)",
    "CREATE TABLE t_ok (x); THIS IS NOT SQL", NULL};

static int64_t
count(jx_db *db, const char *sql)
{
	jx_stmt *st = db_query(db, sql, "");
	int64_t n = -1;

	if (st != NULL && db_step(st) == JX_DB_ROW)
		n = db_int(st, 0);
	db_finish(st);
	return n;
}

int
main(void)
{
	char dir[] = "/tmp/jxdbXXXXXX", path[256], out[256], err[512];
	jx_db *db;
	jx_stmt *a, *b;
	cJSON *rows, *errors = NULL, *p;
	FILE *f;
	char head[16];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	db = db_open(path);
	CHECK(db != NULL);

	/* migrations: versions per owner, idempotent, a failing step
	 * leaves the schema at the last whole step */
	CHECK(migrate_version(db, "t") == 0);
	CHECK(migrate_apply(db, "t", steps_v1, err, sizeof(err)) == 0);
	CHECK(migrate_version(db, "t") == 1);
	CHECK(migrate_apply(db, "t", steps_v1, err, sizeof(err)) == 0);
	CHECK(migrate_apply(db, "t", steps_v2, err, sizeof(err)) == 0);
	CHECK(migrate_version(db, "t") == 2);
	CHECK(migrate_apply(db, "t", steps_bad, err, sizeof(err)) == -1);
	CHECK(strstr(err, "migration failed") != NULL);
	CHECK(migrate_version(db, "t") == 2);
	CHECK(count(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = "
	                "'t_ok'") == 0);
	/* a database newer than the build is refused */
	CHECK(migrate_apply(db, "t", steps_v1, err, sizeof(err)) == -1);
	CHECK(strstr(err, "newer") != NULL);
	CHECK(migrate_apply(db, "host", host_migrations, err, sizeof(err)) ==
	      0);

	/* db_host_tables, which the test build's authorizer guards, are
	 * exactly the tables the host's migrations create: a new host table
	 * must be added there (and to docs/host-schema.md). */
	{
		int64_t listed = 0;

		for (int i = 0; db_host_tables[i] != NULL; i++) {
			CHECK(db_one(db,
			             "SELECT COUNT(*) FROM sqlite_master WHERE "
			             "type = 'table' AND name = ?",
			             "s", db_host_tables[i]) == 1);
			listed++;
		}
		CHECK(count(db, "SELECT COUNT(*) FROM sqlite_master WHERE type "
		                "= 'table' AND name NOT LIKE 'sqlite_%' AND "
		                "name NOT LIKE 't\\_%' ESCAPE '\\'") == listed);
	}
	/* While plugin code runs, a host table is written only through a
	 * host service (host_enter); a statement prepared by the host is not
	 * reused for the plugin. The authorizer is in test builds only. */
#ifdef JX_TESTING
	{
		int p = plugin_enter(), h;

		CHECK(db_in_plugin());
		CHECK(db_exec(db, "DELETE FROM host_meta WHERE key = 'x'",
		              "") == -1);
		CHECK(strstr(db_errmsg(db), "not authorized") != NULL);
		CHECK(db_exec(db, "INSERT INTO t_items(name) VALUES ('p')",
		              "") == 1);
		CHECK(db_exec(db, "DELETE FROM t_items WHERE name = 'p'", "") ==
		      1);
		/* reads: no secrets of accounts (its view has none), no
		 * sessions */
		CHECK(db_exec(db, "SELECT password_hash FROM accounts", "") ==
		      -1);
		CHECK(db_exec(db, "SELECT login FROM host_accounts", "") >= 0);
		CHECK(db_exec(db, "SELECT id FROM host_outbox", "") >= 0);
		CHECK(db_exec(db, "SELECT COUNT(*) FROM sessions", "") == -1);
		CHECK(db_exec(db, "SELECT params FROM outbox", "") == -1);
		CHECK(db_exec(db, "SELECT login FROM accounts", "") >= 0);
		h = host_enter();
		CHECK(!db_in_plugin());
		CHECK(db_exec(db, "DELETE FROM host_meta WHERE key = 'y'",
		              "") == 0);
		host_leave(h);
		CHECK(db_exec(db, "DELETE FROM host_meta WHERE key = 'y'",
		              "") == -1);
		plugin_leave(p);
		CHECK(!db_in_plugin());
	}
#endif

	/* binding and the statement cache: the same SQL twice at once
	 * gets two statements */
	CHECK(db_exec(db, "INSERT INTO t_items(name, n) VALUES (?, ?)", "si",
	              "一", (int64_t)1) == 1);
	CHECK(db_exec(db, "INSERT INTO t_items(name, n) VALUES (?, ?)", "si",
	              "二", (int64_t)2) == 1);
	a = db_query(db, "SELECT name FROM t_items WHERE n >= ? ORDER BY n",
	             "i", (int64_t)1);
	b = db_query(db, "SELECT name FROM t_items WHERE n >= ? ORDER BY n",
	             "i", (int64_t)2);
	CHECK(a != NULL && b != NULL && a != b);
	CHECK(db_step(a) == JX_DB_ROW);
	CHECK_STR(db_text(a, 0), "一");
	CHECK(db_step(b) == JX_DB_ROW);
	CHECK_STR(db_text(b, 0), "二");
	db_finish(a);
	db_finish(b);
	/* wrong number of parameters is an error, not a silent NULL */
	CHECK(db_query(db, "SELECT ? + ?", "i", (int64_t)1) == NULL);
	CHECK(db_exec(db, "SELECT * FROM no_such_table", "") == -1);
	CHECK(strstr(db_errmsg(db), "no_such_table") != NULL);
	/* NULL strings bind NULL */
	CHECK(db_exec(db, "INSERT INTO t_items(name) VALUES (?)", "s",
	              (const char *)NULL) == -1);

	/* transactions: rollback undoes, nested savepoints */
	CHECK(db_begin(db) == 0);
	CHECK(db_exec(db, "INSERT INTO t_items(name) VALUES ('三')", "") == 1);
	CHECK(db_begin(db) == 0);
	CHECK(db_exec(db, "INSERT INTO t_items(name) VALUES ('四')", "") == 1);
	CHECK(db_rollback(db) == 0);
	CHECK(db_in_transaction(db));
	CHECK(db_commit(db) == 0);
	CHECK(count(db, "SELECT COUNT(*) FROM t_items") == 3);
	CHECK(db_begin(db) == 0);
	CHECK(db_exec(db, "INSERT INTO t_items(name) VALUES ('五')", "") == 1);
	CHECK(db_rollback(db) == 0);
	CHECK(count(db, "SELECT COUNT(*) FROM t_items") == 3);
	CHECK(db_commit(db) == -1);
	/* a request that leaves a transaction open gets it rolled back */
	CHECK(db_begin(db) == 0);
	CHECK(db_exec(db, "INSERT INTO t_items(name) VALUES ('六')", "") == 1);
	db_reset_all(db);
	CHECK(!db_in_transaction(db));
	CHECK(count(db, "SELECT COUNT(*) FROM t_items") == 3);

	/* rows as JSON */
	rows = db_rows(db, "SELECT id, name, n FROM t_items ORDER BY id", "");
	CHECK(cJSON_GetArraySize(rows) == 3);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "name")
	              ->valuestring,
	          "一");
	cJSON_Delete(rows);

	/* a full disk is an error, and the failed transaction is gone */
	{
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %lld",
		         (long long)count(db, "PRAGMA page_count") + 1);
		CHECK(db_exec_script(db, pragma) == 0);
	}
	CHECK(db_begin(db) == 0);
	int failed = 0;
	for (int i = 0; i < 2000 && !failed; i++) {
		char name[128];

		snprintf(name, sizeof(name),
		         "padding padding padding padding padding padding %d",
		         i);
		failed = db_exec(db, "INSERT INTO t_items(name) VALUES (?)",
		                 "s", name) < 0;
	}
	CHECK(failed);
	CHECK(strstr(db_errmsg(db), "full") != NULL);
	db_rollback(db);
	CHECK(count(db, "SELECT COUNT(*) FROM t_items") == 3);
	CHECK(db_exec_script(db, "PRAGMA max_page_count = 1073741823") == 0);

	/* problem+json */
	problem_add_error(&errors, 7, "姓名", "姓名不能为空");
	problem_add_error(&errors, 0, "phone", "invalid");
	p = problem_new(422, "validation-failed", "Invalid input", NULL,
	                errors);
	CHECK_STR(cJSON_GetObjectItem(p, "type")->valuestring,
	          "/problems/validation-failed");
	CHECK(cJSON_GetObjectItem(p, "status")->valueint == 422);
	CHECK(cJSON_IsString(cJSON_GetObjectItem(p, "detail")));
	CHECK(
	    cJSON_GetObjectItem(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(p, "errors"), 0), "row")
	        ->valueint == 7);
	CHECK(cJSON_GetObjectItem(
	          cJSON_GetArrayItem(cJSON_GetObjectItem(p, "errors"), 1),
	          "row") == NULL);
	cJSON_Delete(p);

	/* online backup */
	snprintf(out, sizeof(out), "%s/backup.db", dir);
	CHECK(db_backup(db, out, err, sizeof(err)) == 0);
	f = fopen(out, "rb");
	CHECK(f != NULL && fread(head, 1, 16, f) == 16);
	if (f)
		fclose(f);
	CHECK(memcmp(head, "SQLite format 3", 16) == 0);
	db_close(db);
	db = db_open(out);
	CHECK(count(db, "SELECT COUNT(*) FROM t_items") == 3);
	db_close(db);

	snprintf(err, sizeof(err), "rm -rf %s", dir);
	CHECK(system(err) == 0);
	return check_done();
}
