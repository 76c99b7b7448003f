/*
 * filetest.c — a test plugin that uses the host's file service (ABI
 * 2.1): posts of a school that carry one file each, and the visibility
 * callback that lets those who may see the post's school see its file.
 *
 *   POST   /api/v1/test/posts            {"title","file_id"} → 201
 *          {"id","file"}; 404 when the file may not be attached
 *   GET    /api/v1/test/posts/{id}       → {"id","title","file"} (file:
 *          jx_host->file_info, null when not visible)
 *   DELETE /api/v1/test/posts/{id}/file  → {"detached": n}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jx/plugin.h>

JX_HOST_DECLARE;

static const char *const filetest_migrations[] = {
    "CREATE TABLE filetest_posts ("
    "  id INTEGER PRIMARY KEY,"
    "  school_id INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  file_id INTEGER NOT NULL);",
    NULL};

static const struct jx_field filetest_fields[] = {
    {"title", JX_FIELD_STRING, 1, 1, 50},
    {"file_id", JX_FIELD_INT, 1, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static int
filetest_create(jx_req *req, void *ud)
{
	const struct jx_identity *me = jx_host->identity(req);
	cJSON *in = jx_host->req_fields(req, filetest_fields), *out;
	jx_db *db = jx_host->req_db(req);
	int64_t id, file;
	int rc;

	if (in == NULL)
		return jx_host->req_status(req)
		           ? jx_host->req_status(req)
		           : jx_host->reply_problem(req, 422,
		                                    "validation-failed",
		                                    "Invalid post", NULL);
	if (me == NULL || me->school_id <= 0)
		return jx_host->reply_problem(req, 403, "forbidden",
		                              "No school", NULL);
	file = (int64_t)cJSON_GetObjectItem(in, "file_id")->valuedouble;
	if (jx_host->db_begin(db) != 0)
		return jx_host->reply_problem(req, 500, "internal", "db", NULL);
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO filetest_posts(school_id, title, file_id) VALUES "
	    "(?, ?, ?)",
	    "isi", me->school_id, cJSON_GetObjectItem(in, "title")->valuestring,
	    file);
	rc = id > 0 ? jx_host->file_attach(
	                  req, file,
	                  jx_host->sprintf(req, "post:%lld", (long long)id))
	            : -2;
	if (rc != 0) {
		jx_host->db_rollback(db);
		if (rc == -1)
			return jx_host->reply_problem(req, 404, "not-found",
			                              "No such file", NULL);
		return jx_host->reply_problem(req, 500, "internal", "db", NULL);
	}
	if (jx_host->db_commit(db) != 0)
		return jx_host->reply_problem(req, 500, "internal", "db", NULL);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "id", (double)id);
	cJSON_AddItemToObject(
	    out, "file", cJSON_Duplicate(jx_host->file_info(req, file), 1));
	return jx_host->reply_json(req, 201, out);
}

static int
filetest_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_stmt *st = jx_host->db_query(jx_host->req_db(req),
	                                "SELECT school_id, title, file_id "
	                                "FROM filetest_posts WHERE id = ?",
	                                "i", id);
	const cJSON *info;
	cJSON *out;

	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW ||
	    !jx_host->may(req, JX_SEE_SCHOOL, jx_host->db_int(st, 0))) {
		jx_host->db_finish(st);
		return jx_host->reply_problem(req, 404, "not-found", "No post",
		                              NULL);
	}
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "id", (double)id);
	cJSON_AddStringToObject(out, "title", jx_host->db_text(st, 1));
	info = jx_host->file_info(req, jx_host->db_int(st, 2));
	jx_host->db_finish(st);
	cJSON_AddItemToObject(
	    out, "file", info ? cJSON_Duplicate(info, 1) : cJSON_CreateNull());
	return jx_host->reply_json(req, 200, out);
}

static int
filetest_detach(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	int64_t school = jx_host->db_one(
	    jx_host->req_db(req),
	    "SELECT school_id FROM filetest_posts WHERE id = ?", "i", id);
	cJSON *out;

	if (school <= 0 || !jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return jx_host->reply_problem(req, 404, "not-found", "No post",
		                              NULL);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(
	    out, "detached",
	    (double)jx_host->file_detach(
	        req, 0, jx_host->sprintf(req, "post:%lld", (long long)id)));
	return jx_host->reply_json(req, 200, out);
}

/* May the acting identity see post ref? Those who may see its school. */
static int
filetest_visible(jx_req *req, const char *ref, void *ud)
{
	long long id;
	int64_t school;

	if (sscanf(ref, "post:%lld", &id) != 1)
		return 0;
	school = jx_host->db_one(jx_host->req_db(req),
	                         "SELECT school_id FROM filetest_posts WHERE "
	                         "id = ?",
	                         "i", (int64_t)id);
	return school > 0 && jx_host->may(req, JX_SEE_SCHOOL, school);
}

static int
filetest_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	return reg->file_visible(reg, filetest_visible, NULL);
}

static const struct jx_route filetest_routes[] = {
    {"POST", "/api/v1/test/posts", filetest_create, NULL, 0},
    {"GET", "/api/v1/test/posts/{id}", filetest_get, NULL, 0},
    {"DELETE", "/api/v1/test/posts/{id}/file", filetest_detach, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin filetest_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 1,
    .name = "filetest",
    .version = "1.0.0",
    .migrations = filetest_migrations,
    .init = filetest_init,
    .routes = filetest_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &filetest_plugin;
}
