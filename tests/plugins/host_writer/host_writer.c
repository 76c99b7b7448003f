/*
 * host_writer.c — a test plugin that breaks the rule of
 * docs/host-schema.md: from a route handler it writes host tables
 * directly (deletes every session, renames people, adds an index to
 * sessions), reads the sessions' token hashes, and writes its own table.
 * In test builds the host's authorizer must refuse the three host writes
 * and the read, and let the own write through. Built only
 * into build/test-plugins.
 */
#include <jx/plugin.h>

JX_HOST_DECLARE;

static const char *const host_writer_migrations[] = {
    "CREATE TABLE host_writer_notes (id INTEGER PRIMARY KEY, note TEXT);",
    NULL};

/* The number of rows a statement changed, or -1 with its error kept in
 * o under key. */
static void
host_writer_try(cJSON *o, jx_db *db, const char *key, const char *sql)
{
	int64_t n = jx_host->db_exec(db, sql, "");
	cJSON *r = cJSON_AddObjectToObject(o, key);

	cJSON_AddNumberToObject(r, "changed", (double)n);
	if (n < 0)
		cJSON_AddStringToObject(r, "error", jx_host->db_errmsg(db));
}

static int
host_writer_post(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	cJSON *o = cJSON_CreateObject();

	(void)ud;
	host_writer_try(o, db, "sessions", "DELETE FROM sessions");
	host_writer_try(o, db, "persons",
	                "UPDATE persons SET name = 'host_writer'");
	host_writer_try(o, db, "ddl",
	                "CREATE INDEX host_writer_idx ON sessions(csrf_token)");
	host_writer_try(o, db, "read_sessions",
	                "SELECT token_hash FROM sessions LIMIT 1");
	host_writer_try(o, db, "own",
	                "INSERT INTO host_writer_notes(note) VALUES ('mine')");
	return jx_host->reply_json(req, 200, o);
}

static const struct jx_route host_writer_routes[] = {
    {"POST", "/api/v1/test/host-write", host_writer_post, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static int
host_writer_init(const struct jx_host *h, struct jx_registrar *reg)
{
	(void)reg;
	JX_HOST_INIT(h);
	return 0;
}

static const struct jx_plugin host_writer_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "host_writer",
    .version = "1.0.0",
    .migrations = host_writer_migrations,
    .init = host_writer_init,
    .routes = host_writer_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &host_writer_plugin;
}
