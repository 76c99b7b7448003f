/*
 * awards.c — a student's awards (获奖), built outside the tree. Whoever
 * may see the student (a parent their child, a teacher the classes they
 * teach, admins) lists and adds them; for anyone else: 404.
 */
#include <stdio.h>
#include <string.h>

#include <jx/plugin.h>
#include <jxplug.h>

JX_HOST_DECLARE;

/* The student {student} when the acting identity may see them, else 0. */
static int64_t
awards_student(jx_req *req)
{
	int64_t id = jx_host->req_param_id(req, "student");

	return id > 0 && jx_host->may(req, JX_SEE_STUDENT, id) ? id : 0;
}

/* The body's fields and their lengths; presence and values are checked
 * below, so that a 422 names every field that is wrong at once. */
static const struct jx_field awards_fields[] = {
    {"title", JX_FIELD_STRING, 0, 1, 100},
    {"level", JX_FIELD_STRING, 0, 1, 16},
    {"awarded_on", JX_FIELD_STRING, 0, 10, 10},
    {NULL, 0, 0, 0, 0},
};

/* A level the page translates (awards.level.<level>); dates YYYY-MM-DD. */
static int
awards_level_ok(const char *s)
{
	static const char *const levels[] = {"school",   "district", "city",
	                                     "province", "national", NULL};

	for (int i = 0; levels[i] != NULL; i++)
		if (strcmp(s, levels[i]) == 0)
			return 1;
	return 0;
}

static int
awards_date_ok(const char *s)
{
	int y, m, d, n = 0;

	return sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10 &&
	       s[10] == '\0' && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* GET: the awards, newest first (JSON under /api/, else awards/list). */
static int
awards_list(jx_req *req, void *ud)
{
	int64_t student = awards_student(req), limit, after;
	cJSON *items, *data;

	if (student == 0)
		return jxp_not_found(jx_host, req);
	jxp_page(jx_host, req, &limit, &after);
	items = jx_host->db_rows(jx_host->req_db(req),
	                         "SELECT id, title, level, awarded_on FROM "
	                         "awards_items WHERE student_id = ? AND "
	                         "(? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
	                         "iiii", student, after, after, limit + 1);
	if (items == NULL)
		return jxp_storage_error(jx_host, req);
	data = jxp_items(items, limit, "id");
	cJSON_AddStringToObject(data, "title", jx_host->t(req, "awards.title"));
	return jx_host->reply_view(req, 200, "awards/list", data);
}

/* POST {"title","level","awarded_on"}: 201, or 422 naming bad fields. */
static int
awards_create(jx_req *req, void *ud)
{
	int64_t student = awards_student(req), id;
	const char *title, *level, *on;
	cJSON *in;

	if (student == 0)
		return jxp_not_found(jx_host, req);
	if ((in = jx_host->req_fields(req, awards_fields)) == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, NULL)
		           : jx_host->req_status(req);
	title = cJSON_GetStringValue(cJSON_GetObjectItem(in, "title"));
	level = cJSON_GetStringValue(cJSON_GetObjectItem(in, "level"));
	on = cJSON_GetStringValue(cJSON_GetObjectItem(in, "awarded_on"));
	if (title == NULL)
		jx_host->problem_error(req, 0, "title", "missing");
	if (level == NULL || !awards_level_ok(level))
		jx_host->problem_error(req, 0, "level", "unknown level");
	if (on == NULL || !awards_date_ok(on))
		jx_host->problem_error(req, 0, "awarded_on", "not YYYY-MM-DD");
	if (jx_host->problem_count(req) > 0)
		return jxp_invalid(jx_host, req, NULL);
	id = jx_host->db_insert(
	    jx_host->req_db(req),
	    "INSERT INTO awards_items(student_id, title, level, awarded_on, "
	    "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
	    "isssii", student, title, level, on,
	    jx_host->identity(req)->person_id, jx_host->now());
	if (id < 0)
		return jxp_storage_error(jx_host, req);
	cJSON_AddNumberToObject(in, "id", (double)id);
	return jx_host->reply_json(req, 201, cJSON_Duplicate(in, 1));
}

/* GET: the page and the API, one handler; POST: the API. */
static const struct jx_route awards_routes[] = {
    {"GET", "/students/{student}/awards", awards_list, NULL, JX_ROUTE_BOTH},
    {"POST", "/api/v1/students/{student}/awards", awards_create, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static int
awards_init(const struct jx_host *h, struct jx_registrar *reg)
{
	(void)reg;
	JX_HOST_INIT(h);
	return 0;
}

static const char *const awards_migrations[] = {
    "CREATE TABLE awards_items (id INTEGER PRIMARY KEY, student_id INTEGER "
    "NOT NULL, title TEXT NOT NULL, level TEXT NOT NULL, awarded_on TEXT "
    "NOT NULL, created_by INTEGER NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX awards_items_student ON awards_items(student_id, id)",
    NULL};

static const struct jx_plugin awards = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "awards",
    .version = "1.0.0",
    .migrations = awards_migrations,
    .init = awards_init,
    .routes = awards_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &awards;
}
