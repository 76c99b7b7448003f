/*
 * good.c — a well-behaved test plugin: a public route, a migration, a
 * write in a transaction that publishes an event to its own subscriber,
 * a background job with progress, a service, a page and a menu entry.
 * Built only into build/test-plugins for the loader and system tests.
 */
#include <string.h>

#include <jx/plugin.h>

JX_HOST_DECLARE;

static int
good_hello(jx_req *req, void *ud)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "hello", "world");
	return jx_host->reply_json(req, 200, o);
}

/* Inserts an item; the subscriber of good.item_added refuses the name
 * "refused", which must roll the insert back. */
static int
good_add(jx_req *req, void *ud)
{
	cJSON *body = jx_host->req_json(req), *ev, *o;
	const cJSON *name;
	jx_db *db = jx_host->req_db(req);
	jx_stmt *st;
	int64_t id = 0;

	if (body == NULL)
		return jx_host->req_status(req);
	name = cJSON_GetObjectItemCaseSensitive(body, "name");
	if (!cJSON_IsString(name) || name->valuestring[0] == '\0') {
		jx_host->problem_error(req, 0, "name", "name is required");
		return jx_host->reply_problem(req, 422, "validation-failed",
		                              "Invalid item",
		                              "name is required");
	}
	if (jx_host->db_begin(db) != 0)
		goto fail;
	st = jx_host->db_query(db,
	                       "INSERT INTO good_items(name) VALUES (?) "
	                       "RETURNING id",
	                       "s", name->valuestring);
	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW) {
		jx_host->db_finish(st);
		jx_host->db_rollback(db);
		goto fail;
	}
	id = jx_host->db_int(st, 0);
	jx_host->db_finish(st);
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "name", name->valuestring);
	if (jx_host->publish(db, "good.item_added", ev) != 0) {
		cJSON_Delete(ev);
		jx_host->db_rollback(db);
		return jx_host->reply_problem(req, 409, "refused", "Refused",
		                              "A subscriber refused the item.");
	}
	cJSON_Delete(ev);
	if (jx_host->db_commit(db) != 0)
		goto fail;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	return jx_host->reply_json(req, 201, o);
fail:
	return jx_host->reply_problem(req, 500, "storage", "Storage error",
	                              "The item could not be stored.");
}

static int
good_list(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	cJSON *rows = jx_host->db_rows(db,
	                               "SELECT i.id, i.name, "
	                               "(SELECT COUNT(*) FROM good_events e "
	                               "WHERE e.name = i.name) AS events "
	                               "FROM good_items i ORDER BY i.id",
	                               "");
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "items", rows ? rows : cJSON_CreateArray());
	cJSON_AddStringToObject(o, "title", "Good items");
	return jx_host->reply_view(req, 200, "good/items", o);
}

static int
good_on_added(jx_db *db, const char *event, const cJSON *payload, void *ud)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(payload, "name");

	if (!cJSON_IsString(name))
		return -1;
	if (jx_host->db_exec(db, "INSERT INTO good_events(name) VALUES (?)",
	                     "s", name->valuestring) < 0)
		return -1;
	return strcmp(name->valuestring, "refused") == 0 ? 1 : 0;
}

static int
good_job(jx_job *job, void *ud)
{
	const cJSON *n =
	    cJSON_GetObjectItemCaseSensitive(jx_host->job_params(job), "count");
	jx_db *db = jx_host->job_db(job);
	int count = cJSON_IsNumber(n) ? n->valueint : 0;
	cJSON *res = cJSON_CreateObject();

	if (jx_host->db_begin(db) != 0)
		return 1;
	for (int i = 0; i < count; i++) {
		jx_host->db_exec(db, "INSERT INTO good_items(name) VALUES (?)",
		                 "s", "from job");
		jx_host->job_progress(job, i + 1, count);
	}
	cJSON_AddNumberToObject(res, "created", count);
	jx_host->job_set_result(job, res);
	if (count < 0 || jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return 1;
	}
	return 0;
}

static int
good_submit(jx_req *req, void *ud)
{
	cJSON *body = jx_host->req_json(req), *params, *o;
	int64_t id;

	if (body == NULL)
		return jx_host->req_status(req);
	params = cJSON_Duplicate(body, 1);
	id = jx_host->job_submit(jx_host->req_db(req), "good.fill", params, 0);
	if (id < 0)
		return jx_host->reply_problem(req, 500, "storage",
		                              "Storage error", NULL);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "job_id", (double)id);
	return jx_host->reply_json(req, 202, o);
}

/* Reads a job row directly: the test cannot log in to GET /jobs/{id}. */
static int
good_job_state(jx_req *req, void *ud)
{
	cJSON *rows = jx_host->db_rows(jx_host->req_db(req),
	                               "SELECT state, result FROM jobs "
	                               "WHERE id = ?",
	                               "i", jx_host->req_param_id(req, "id"));

	if (rows == NULL || cJSON_GetArraySize(rows) != 1) {
		cJSON_Delete(rows);
		return jx_host->reply_problem(req, 404, "not-found",
		                              "No such job", NULL);
	}
	cJSON *row = cJSON_DetachItemFromArray(rows, 0);

	cJSON_Delete(rows);
	return jx_host->reply_json(req, 200, row);
}

static int
good_version(void)
{
	return 1;
}

static const struct good_v1 {
	int (*version)(void);
} good_service = {good_version};

/* ABI 2.1's home item: the items stored, hidden while there are none,
 * and the badge of the plugin's tab. */
static int64_t
good_home_count(jx_req *req, void *ud)
{
	(void)ud;
	return jx_host->db_one(jx_host->req_db(req),
	                       "SELECT COUNT(*) FROM good_items", "");
}

static const struct jx_home_item good_home = {
    .size = sizeof(struct jx_home_item),
    .roles = "*",
    .label_key = "nav.menu",
    .href = "/test/good/items",
    .order = 50,
    .flags = JX_HOME_HIDE_ZERO | JX_HOME_TAB_BADGE,
    .count = good_home_count,
};

static int
good_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	if (JX_REG_HAS(reg, home_item) &&
	    (reg->home_item(reg, &good_home) != 0 ||
	     reg->menu_tab(reg, "teacher,parent", "nav.home",
	                   "/test/good/items", 50, "class") != 0))
		return -1;
	reg->subscribe(reg, "good.item_added", good_on_added, NULL);
	reg->job_kind(reg, "good.fill", good_job, NULL);
	reg->service(reg, "good.v1", &good_service);
	reg->menu(reg, "*", "nav.home", "/test/good/items", 50);
	return 0;
}

static const char *const good_migrations[] = {
    "CREATE TABLE good_items (id INTEGER PRIMARY KEY, name TEXT NOT "
    "NULL)",
    "CREATE TABLE good_events (id INTEGER PRIMARY KEY, name TEXT NOT "
    "NULL)",
    NULL};

static const struct jx_route good_routes[] = {
    {"GET", "/api/v1/test/good/hello", good_hello, NULL, JX_ROUTE_PUBLIC},
    {"POST", "/api/v1/test/good/items", good_add, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF},
    {"GET", "/test/good/items", good_list, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_BOTH},
    {"POST", "/api/v1/test/good/jobs", good_submit, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF},
    {"GET", "/api/v1/test/good/jobs/{id}", good_job_state, NULL,
     JX_ROUTE_PUBLIC},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin good_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "good",
    .version = "1.0.0",
    .migrations = good_migrations,
    .init = good_init,
    .routes = good_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &good_plugin;
}
