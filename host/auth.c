/*
 * auth.c — the dispatcher's view of the caller: session, CSRF, the
 * password-change gate, and per-district module switches and menus.
 */
#include "auth.h"

#include <string.h>

#include <civetweb.h>

void
auth_resolve(jx_req *req)
{
	req->account_id = 0;
	req->session_id = 0;
	req->csrf_token = NULL;
	req->district_code = NULL;
	req->role = NULL;
}

int
auth_csrf_ok(jx_req *req)
{
	const char *tok = http_header(req, "X-CSRF-Token");

	return req->csrf_token != NULL && tok != NULL &&
	       strcmp(tok, req->csrf_token) == 0;
}

int
auth_gate(jx_req *req)
{
	(void)req;
	return 0;
}

int
auth_district_has(const char *code, const char *name)
{
	const cJSON *d, *mods, *e;

	if (code == NULL)
		return 1;
	d = cJSON_GetObjectItemCaseSensitive(config_get(&app.cfg, "districts"),
	                                     code);
	mods = cJSON_GetObjectItemCaseSensitive(d, "modules");
	if (!cJSON_IsArray(mods))
		return 1;
	cJSON_ArrayForEach(e, mods) if (cJSON_IsString(e) &&
	                                strcmp(e->valuestring, name) == 0) return 1;
	return 0;
}

int
auth_plugin_enabled(jx_req *req, int plugin)
{
	if (plugin < 0 || plugin >= app.nplugins)
		return 1;
	/* The city administrator sees every loaded plugin. */
	if (req->role != NULL && strcmp(req->role, "city_admin") == 0)
		return 1;
	return auth_district_has(req->district_code, app.plugins[plugin].name);
}

static int
auth_role_listed(const char *roles, const char *role)
{
	size_t n;

	if (role == NULL)
		return strcmp(roles, "anonymous") == 0;
	if (strcmp(roles, "*") == 0)
		return 1;
	n = strlen(role);
	for (const char *p = roles; (p = strstr(p, role)) != NULL; p += n)
		if ((p == roles || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

int
auth_menu_visible(jx_req *req, const struct menu_entry *m)
{
	return auth_role_listed(m->roles, req->role) &&
	       auth_plugin_enabled(req, m->plugin);
}

void
auth_page_user(jx_req *req, cJSON *page)
{
	cJSON_AddNullToObject(page, "user");
	cJSON_AddArrayToObject(page, "identities");
	cJSON_AddNullToObject(page, "acting_identity_id");
}
