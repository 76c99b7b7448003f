/*
 * migrate.c — per-owner schema versions. The host and every plugin own
 * an ordered list of SQL steps; step i brings the owner to version i+1.
 * Each step runs in its own transaction together with the version bump,
 * so a crash leaves the schema at a whole step.
 */
#include "host.h"

#include <stdio.h>
#include <string.h>

/* The host's own schema. Never edit a shipped step: append one. */
const char *const host_migrations[] = {
        /* 1: background jobs (jobs.c) */
        "CREATE TABLE jobs ("
        "  id INTEGER PRIMARY KEY,"
        "  kind TEXT NOT NULL,"
        "  state TEXT NOT NULL DEFAULT 'queued'"
        "    CHECK (state IN ('queued','running','succeeded','failed')),"
        "  params TEXT NOT NULL DEFAULT '{}',"
        "  result TEXT,"
        "  progress_done INTEGER NOT NULL DEFAULT 0,"
        "  progress_total INTEGER NOT NULL DEFAULT 0,"
        "  owner_account_id INTEGER,"
        "  created_at INTEGER NOT NULL,"
        "  started_at INTEGER,"
        "  finished_at INTEGER);"
        "CREATE INDEX jobs_state ON jobs(state, id);",
        NULL};

static int
migrate_ensure_table(jx_db *db)
{
	return db_exec(db,
	               "CREATE TABLE IF NOT EXISTS schema_versions ("
	               " owner TEXT PRIMARY KEY,"
	               " version INTEGER NOT NULL)",
	               "") < 0
	               ? -1
	               : 0;
}

int
migrate_version(jx_db *db, const char *owner)
{
	jx_stmt *st;
	int v = 0;

	if (migrate_ensure_table(db) != 0)
		return -1;
	st = db_query(db, "SELECT version FROM schema_versions WHERE owner = ?",
	              "s", owner);
	if (st == NULL)
		return -1;
	if (db_step(st) == JX_DB_ROW)
		v = (int)db_int(st, 0);
	db_finish(st);
	return v;
}

int
migrate_apply(jx_db *db, const char *owner, const char *const *steps,
              char *err, size_t errlen)
{
	int have, want = 0;

	if (steps != NULL)
		while (steps[want] != NULL)
			want++;
	have = migrate_version(db, owner);
	if (have < 0) {
		snprintf(err, errlen, "%s: %s", owner, db_errmsg(db));
		return -1;
	}
	if (have > want) {
		snprintf(err, errlen,
		         "%s: database schema version %d is newer than this "
		         "build's %d",
		         owner, have, want);
		return -1;
	}
	for (int i = have; i < want; i++) {
		if (db_begin(db) != 0)
			goto fail;
		if (db_exec_script(db, steps[i]) != 0 ||
		    db_exec(db,
		            "INSERT INTO schema_versions(owner, version) "
		            "VALUES (?, ?) ON CONFLICT(owner) DO UPDATE "
		            "SET version = excluded.version",
		            "si", owner, (int64_t)(i + 1)) < 0) {
			db_rollback(db);
			goto fail;
		}
		if (db_commit(db) != 0)
			goto fail;
		jx_log(JX_LOG_INFO, owner, "schema migrated to version %d",
		       i + 1);
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: migration failed: %s", owner,
	         db_errmsg(db));
	return -1;
}
