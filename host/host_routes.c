/*
 * host_routes.c — the endpoints the host itself answers: health, the
 * plugin list, jobs, the OpenAPI document and the home page; and the list
 * of the host's route tables (organisation, accounts, rules, recovery,
 * pages), the built-in module the loader checks before any plugin.
 */
#include "host.h"
#include "auth.h"
#include "luaenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

static int
route_healthz(jx_req *req, void *ud)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "status", "ok");
	return http_reply_json(req, 200, o);
}

static int
route_is_admin(jx_req *req)
{
	return req->role != NULL && (strcmp(req->role, "city_admin") == 0 ||
	                             strcmp(req->role, "district_admin") == 0 ||
	                             strcmp(req->role, "school_admin") == 0);
}

static int
route_plugins(jx_req *req, void *ud)
{
	cJSON *arr;

	if (!route_is_admin(req))
		return http_reply_problem(req, 403, "forbidden", "Forbidden",
		                          "Administrators only.");
	arr = cJSON_CreateArray();
	for (int i = 0; i < app.nplugins; i++) {
		const struct plugin *p = &app.plugins[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "version", p->version);
		cJSON_AddStringToObject(o, "state",
		                        plugin_state_name(p->state));
		if (p->state == PLUGIN_ACTIVE)
			cJSON_AddNullToObject(o, "reason");
		else
			cJSON_AddStringToObject(o, "reason", p->reason);
		cJSON_AddItemToArray(arr, o);
	}
	return http_reply_json(req, 200, arr);
}

static int
route_job(jx_req *req, void *ud)
{
	int64_t id = jx_host_table.req_param_id(req, "id"), owner = 0;
	cJSON *j;

	if (id < 0)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such job.");
	j = jobs_get_json(req->worker->db, id, &owner);
	/* A job is visible to the account that started it (and to the city
	 * administrator); to anyone else it does not exist. */
	if (j == NULL ||
	    (owner != req->account_id &&
	     !(req->role && strcmp(req->role, "city_admin") == 0))) {
		cJSON_Delete(j);
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such job.");
	}
	jobs_localize(j, req->lang);
	return http_reply_json(req, 200, j);
}

static int
route_openapi(jx_req *req, void *ud)
{
	char path[4096];
	FILE *f;
	struct buf b;
	char chunk[8192];
	size_t n;
	int status;

	snprintf(path, sizeof(path), "%s/docs/openapi.yaml", app.root);
	f = fopen(path, "rb");
	if (f == NULL)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "docs/openapi.yaml is missing.");
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	status = http_reply_raw(req, 200, "application/yaml; charset=utf-8",
	                        b.data, b.len, NULL);
	buf_free(&b);
	return status;
}

/* An item's link with the acting identity's {school_id}, {class_id},
 * {district_id}, {student_id} put in; NULL when one of them is 0 (the
 * item is not for this identity) or the link is not a local path. */
static const char *
route_home_href(jx_req *req, const char *href)
{
	static const char *const names[] = {"school_id", "class_id",
	                                    "district_id", "student_id"};
	const struct jx_identity *i = req->identity;
	struct buf b;
	const char *p = href, *out;

	/* "//host" and "/\host" leave the site in a browser */
	if (href == NULL || href[0] != '/' || href[1] == '/' ||
	    href[1] == '\\' || i == NULL)
		return NULL;
	if (strchr(href, '{') == NULL)
		return href;
	buf_init(&b);
	while (*p != '\0') {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		int64_t v = -1;

		if (close == NULL) {
			buf_append(&b, p++, 1);
			continue;
		}
		for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++)
			if ((size_t)(close - p - 1) == strlen(names[k]) &&
			    strncmp(p + 1, names[k], strlen(names[k])) == 0)
				v = k == 0   ? i->school_id
				    : k == 1 ? i->class_id
				    : k == 2 ? i->district_id
				             : i->student_id;
		if (v <= 0) {
			buf_free(&b);
			return NULL;
		}
		buf_printf(&b, "%lld", (long long)v);
		p = close + 1;
	}
	out = arena_strdup(req->arena, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

/* One cell of the list: {title, detail?, count, href, done,
 * identity_id?}; gathered in the request's arena, then made into the
 * API's JSON or pushed straight into the page's Lua table. */
struct home_cell {
	const char *title, *detail, *href;
	int64_t count, identity_id;
};

struct home_cells {
	jx_req *req;
	struct home_cell *v;
	int n, cap;
};

static void
route_home_cell(struct home_cells *c, const char *title, const char *detail,
                int64_t count, const char *href, int64_t identity_id)
{
	jx_req *req = c->req;
	struct home_cell *cell;

	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		struct home_cell *v =
		    arena_alloc(req->arena, (size_t)cap * sizeof(*v));

		if (c->n > 0)
			memcpy(v, c->v, (size_t)c->n * sizeof(*v));
		c->v = v;
		c->cap = cap;
	}
	cell = &c->v[c->n++];
	cell->title = arena_strdup(req->arena, title);
	cell->detail = detail != NULL && *detail != '\0'
	                   ? arena_strdup(req->arena, detail)
	                   : NULL;
	cell->href = arena_strdup(req->arena, href);
	cell->count = count;
	cell->identity_id = identity_id > 0 ? identity_id : 0;
}

/* The cells as the API's items. */
static void
route_home_json(const struct home_cells *c, cJSON *items)
{
	for (int i = 0; i < c->n; i++) {
		const struct home_cell *h = &c->v[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "title", h->title);
		if (h->detail != NULL)
			cJSON_AddStringToObject(o, "detail", h->detail);
		cJSON_AddNumberToObject(o, "count", (double)h->count);
		cJSON_AddStringToObject(o, "href", h->href);
		cJSON_AddBoolToObject(o, "done", h->count == 0);
		if (h->identity_id > 0)
			cJSON_AddNumberToObject(o, "identity_id",
			                        (double)h->identity_id);
		cJSON_AddItemToArray(items, o);
	}
}

/* The cells as the page's items (render_page_with's add_data), the
 * table the JSON above would have been copied into. */
static void
route_home_push(lua_State *L, void *ud)
{
	const struct home_cells *c = ud;

	luaL_checkstack(L, 4, "home");
	lua_createtable(L, c->n, 0);
	for (int i = 0; i < c->n; i++) {
		const struct home_cell *h = &c->v[i];

		lua_createtable(L, 0, 6);
		lua_pushstring(L, h->title);
		lua_setfield(L, -2, "title");
		if (h->detail != NULL) {
			lua_pushstring(L, h->detail);
			lua_setfield(L, -2, "detail");
		}
		lua_pushinteger(L, (lua_Integer)h->count);
		lua_setfield(L, -2, "count");
		lua_pushstring(L, h->href);
		lua_setfield(L, -2, "href");
		lua_pushboolean(L, h->count == 0);
		lua_setfield(L, -2, "done");
		if (h->identity_id > 0) {
			lua_pushinteger(L, (lua_Integer)h->identity_id);
			lua_setfield(L, -2, "identity_id");
		}
		lua_rawseti(L, -2, i + 1);
	}
	luaenv_mark_array(L, -1);
	lua_setfield(L, -2, "items");
}

/* A rows item's cells, each checked: a plugin's JSON is input too. */
static void
route_home_rows(jx_req *req, const struct home_entry *h,
                struct home_cells *cells)
{
	int prev = plugin_enter();
	cJSON *rows = h->rows(req, h->ud), *r;

	plugin_leave(prev);
	cJSON_ArrayForEach(r, rows)
	{
		const cJSON *title =
		    cJSON_GetObjectItemCaseSensitive(r, "title");
		const cJSON *detail =
		    cJSON_GetObjectItemCaseSensitive(r, "detail");
		const cJSON *count =
		    cJSON_GetObjectItemCaseSensitive(r, "count");
		const cJSON *id =
		    cJSON_GetObjectItemCaseSensitive(r, "identity_id");
		const char *href = route_home_href(
		    req, cJSON_GetStringValue(
		             cJSON_GetObjectItemCaseSensitive(r, "href")));
		int64_t n =
		    cJSON_IsNumber(count) ? (int64_t)count->valuedouble : -1;

		if (!cJSON_IsString(title) || href == NULL || n < 0 ||
		    (n == 0 && (h->flags & JX_HOME_HIDE_ZERO)))
			continue;
		route_home_cell(
		    cells, title->valuestring, cJSON_GetStringValue(detail), n,
		    href, cJSON_IsNumber(id) ? (int64_t)id->valuedouble : 0);
	}
	cJSON_Delete(rows);
}

/*
 * The home page: for a logged-in identity, what there is to do (the
 * home items of its role, registrar->home_item), each with a count and
 * a link; a short welcome with the way in for everyone else. Both
 * faces: /api/v1/home gives the same items.
 */
static int
route_home(jx_req *req, void *ud)
{
	cJSON *data = cJSON_CreateObject();
	struct home_cells cells = {req, NULL, 0, 0};

	if (req->account_id == 0) {
		cJSON_AddStringToObject(data, "title",
		                        http_t(req, "home.title"));
		return http_reply_view(req, 200, "home", data);
	}
	cJSON_AddStringToObject(data, "title", http_t(req, "nav.home"));
	for (int i = 0; i < app.nhome; i++) {
		const struct home_entry *h = &app.home[i];
		const char *href;
		int64_t n;

		if (!auth_home_visible(req, h))
			continue;
		if (h->rows != NULL) {
			route_home_rows(req, h, &cells);
			continue;
		}
		if ((href = route_home_href(req, h->href)) == NULL ||
		    (n = auth_home_count(req, h)) < 0 ||
		    (n == 0 && (h->flags & JX_HOME_HIDE_ZERO)))
			continue;
		route_home_cell(&cells, http_t(req, h->label_key), NULL, n,
		                href, 0);
	}
	if (req->is_api) {
		route_home_json(&cells, cJSON_AddArrayToObject(data, "items"));
		/* an app draws its own bar from the same tabs a page gets */
		auth_page_tabs(req, data);
		return http_reply_json(req, 200, data);
	}
	return http_reply_view_with(req, 200, "home", data, route_home_push,
	                            &cells);
}

/* Remembers the chosen UI language in a cookie and goes back. */
static int
route_lang(jx_req *req, void *ud)
{
	const char *code = jx_host_table.req_param(req, "code");
	const char *back = http_query(req, "next");

	if (code == NULL ||
	    (strcmp(code, "zh-CN") != 0 && strcmp(code, "en") != 0))
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "Unknown language.");
	http_add_header(req, "Set-Cookie",
	                arena_sprintf(req->arena,
	                              "jx_lang=%s; Path=/; Max-Age=31536000; "
	                              "SameSite=Lax",
	                              code));
	if (req->account_id != 0)
		db_exec(req->worker->db,
		        "UPDATE accounts SET lang = ? WHERE id = ?", "si", code,
		        req->account_id);
	return http_reply_redirect(req, back ? back : "/");
}

/* The host's own endpoints: a built-in module, checked and routed by the
 * loader like a plugin's table (plugin_routes_plan), before any plugin. */
const struct jx_route host_routes[] = {
    {"GET", "/healthz", route_healthz, NULL, JX_ROUTE_PUBLIC},
    {"GET", "/api/v1/plugins", route_plugins, NULL, 0},
    {"GET", "/api/v1/jobs/{id}", route_job, NULL, 0},
    {"GET", "/api/v1/openapi.yaml", route_openapi, NULL, JX_ROUTE_PUBLIC},
    {"GET", "/", route_home, NULL, JX_ROUTE_PUBLIC | JX_ROUTE_PAGE},
    {"GET", "/api/v1/home", route_home, NULL, 0},
    {"GET", "/lang/{code}", route_lang, NULL, JX_ROUTE_PUBLIC | JX_ROUTE_PAGE},
    {NULL, NULL, NULL, NULL, 0},
};

const struct jx_route *const host_route_tables[] = {
    host_routes,          account_routes, account_more_routes, recovery_routes,
    org_routes,           pages_routes,   rules_routes,        files_routes,
    account_phone_routes, NULL,
};

int
host_routes_register(void)
{
	/* The host's own menu entry: the personal centre, for everyone
	 * logged in. */
	struct menu_entry *m =
	    realloc(app.menu, (size_t)(app.nmenu + 1) * sizeof(*m));

	if (m == NULL)
		return -1;
	app.menu = m;
	app.menu[app.nmenu++] = (struct menu_entry){
	    .roles = strdup("*"),
	    .label_key = strdup("nav.me"),
	    .href = strdup("/me"),
	    .order = 90,
	    .plugin = -1,
	};
	return 0;
}
