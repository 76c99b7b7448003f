/*
 * awards.c — a test record plugin: its route names the student
 * {student} where roster's names it {id} (the two coexist), and its
 * create reads a JSON body or an HTML form through req_fields.
 *
 *   GET  /api/v1/students/{student}/awards → {"student","id"}
 *   POST /test/awards and /api/v1/test/awards (JX_ROUTE_BOTH)
 *        {"title","points","shared","class_ids","note"} → 201 the object
 *        read, or 422 naming each bad field (the page face too)
 */
#include <jx/plugin.h>

JX_HOST_DECLARE;

static int
awards_of_student(jx_req *req, void *ud)
{
	cJSON *o = cJSON_CreateObject();
	const char *id = jx_host->req_param(req, "id");

	cJSON_AddStringToObject(o, "student",
	                        jx_host->req_param(req, "student"));
	if (id != NULL)
		cJSON_AddStringToObject(o, "id", id);
	else
		cJSON_AddNullToObject(o, "id");
	return jx_host->reply_json(req, 200, o);
}

static const struct jx_field awards_fields[] = {
    {"title", JX_FIELD_STRING, 1, 1, 20},
    {"points", JX_FIELD_INT, 1, 0, 100},
    {"shared", JX_FIELD_BOOL, 0, 0, 0},
    {"class_ids", JX_FIELD_INT_ARRAY, 0, 0, 3},
    {"note", JX_FIELD_TEXT, 0, 0, 200},
    {NULL, 0, 0, 0, 0},
};

static int
awards_create(jx_req *req, void *ud)
{
	cJSON *o = jx_host->req_fields(req, awards_fields), *r;
	int n;

	if (o == NULL && jx_host->req_status(req) != 0)
		return jx_host->req_status(req);
	if (o == NULL) {
		n = jx_host->problem_count(req);
		return jx_host->reply_problem(
		    req, 422, "validation-failed", "Invalid award",
		    jx_host->sprintf(req, "%d fields are wrong", n));
	}
	r = cJSON_Duplicate(o, 1);
	cJSON_AddBoolToObject(r, "api", jx_host->req_is_api(req));
	return jx_host->reply_json(req, 201, r);
}

static int
awards_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	return 0;
}

static const struct jx_route awards_routes[] = {
    {"GET", "/api/v1/students/{student}/awards", awards_of_student, NULL, 0},
    {"POST", "/test/awards", awards_create, NULL, JX_ROUTE_BOTH},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin awards_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "awards",
    .version = "1.0.0",
    .init = awards_init,
    .routes = awards_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &awards_plugin;
}
