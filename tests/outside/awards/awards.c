/*
 * awards.c — a student's awards (获奖), built outside the tree. Whoever
 * may see the student (a parent their child, a teacher the classes they
 * teach, admins) lists and adds them; for anyone else: 404.
 */
#include <stdio.h>
#include <string.h>

#include <jx/plugin.h>
#include <jxplug.h>

static const struct jx_host *host;

/* The student {id} when the acting identity may see them, else 0. */
static int64_t
awards_student(jx_req *req)
{
	int64_t id = host->req_param_id(req, "id");

	return id > 0 && host->may(req, JX_SEE_STUDENT, id) ? id : 0;
}

/* A string member of 1 to max characters that ok accepts (ok NULL: any),
 * or NULL after adding an error naming the field. */
static const char *
awards_field(jx_req *req, const cJSON *body, const char *name, size_t max,
             int (*ok)(const char *))
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);

	if (cJSON_IsString(v) && v->valuestring[0] != '\0' &&
	    jxp_chars(v->valuestring) <= max &&
	    (ok == NULL || ok(v->valuestring)))
		return v->valuestring;
	host->problem_error(req, 0, name, "missing or invalid");
	return NULL;
}

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
		return jxp_not_found(host, req);
	jxp_page(host, req, &limit, &after);
	items = host->db_rows(host->req_db(req),
	                      "SELECT id, title, level, awarded_on FROM "
	                      "awards_items WHERE student_id = ? AND "
	                      "(? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
	                      "iiii", student, after, after, limit + 1);
	if (items == NULL)
		return jxp_storage_error(host, req);
	data = jxp_items(items, limit, "id");
	cJSON_AddStringToObject(data, "title", host->t(req, "awards.title"));
	return host->reply_view(req, 200, "awards/list", data);
}

/* POST {"title","level","awarded_on"}: 201, or 422 naming bad fields. */
static int
awards_create(jx_req *req, void *ud)
{
	int64_t student = awards_student(req), id;
	const char *title, *level, *on;
	cJSON *body, *o;

	if (student == 0)
		return jxp_not_found(host, req);
	if ((body = host->req_json(req)) == NULL)
		return host->req_status(req);
	title = awards_field(req, body, "title", 100, NULL);
	level = awards_field(req, body, "level", 16, awards_level_ok);
	on = awards_field(req, body, "awarded_on", 10, awards_date_ok);
	if (title == NULL || level == NULL || on == NULL)
		return jxp_invalid(host, req, NULL);
	id = host->db_insert(host->req_db(req),
	                     "INSERT INTO awards_items(student_id, title, "
	                     "level, awarded_on, created_by, created_at) "
	                     "VALUES (?, ?, ?, ?, ?, ?)",
	                     "isssii", student, title, level, on,
	                     host->identity(req)->person_id, host->now());
	if (id < 0)
		return jxp_storage_error(host, req);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "title", title);
	cJSON_AddStringToObject(o, "level", level);
	cJSON_AddStringToObject(o, "awarded_on", on);
	return host->reply_json(req, 201, o);
}

static const struct jxp_route awards_routes[] = {
    {"GET", "/api/v1/students/{id}/awards", awards_list, 0},
    {"POST", "/api/v1/students/{id}/awards", awards_create, 0},
    {"GET", "/students/{id}/awards", awards_list, JX_ROUTE_PAGE},
};

static int
awards_init(const struct jx_host *h, struct jx_registrar *reg)
{
	host = h;
	return jxp_routes(reg, awards_routes,
	                  sizeof(awards_routes) / sizeof(awards_routes[0]));
}

static const char *const awards_migrations[] = {
    "CREATE TABLE awards_items (id INTEGER PRIMARY KEY, student_id INTEGER "
    "NOT NULL, title TEXT NOT NULL, level TEXT NOT NULL, awarded_on TEXT "
    "NOT NULL, created_by INTEGER NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX awards_items_student ON awards_items(student_id, id)",
    NULL};

static const struct jx_plugin awards = {
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = JX_ABI_MINOR,
    .name = "awards",
    .version = "1.0.0",
    .migrations = awards_migrations,
    .init = awards_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &awards;
}
