/*
 * auth.c — the dispatcher's view of the caller: the session cookie, the
 * acting identity, the CSRF token, the per-district module switches and
 * menus, and the user shown in a page's layout.
 *
 * Layering: reads only (the request, identities, the configuration);
 * it makes no reply, so the dispatcher (http.c) and the reply toolkit
 * (reply.c) both call it and it calls neither.
 */
#include "auth.h"
#include "crypto.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <civetweb.h>

void
auth_resolve(jx_req *req)
{
	char token[80], digest[CRYPTO_DIGEST_HEX];
	const char *cookie = mg_get_header(req->conn, "Cookie");
	jx_db *db = req->worker->db;
	jx_stmt *st;
	int64_t now = jx_now(), identity_id = 0, created, seen;
	int64_t idle = config_int(&app.cfg, "session.idle_minutes", 30) * 60;
	int64_t absolute =
	    config_int(&app.cfg, "session.absolute_hours", 12) * 3600;

	if (cookie == NULL ||
	    mg_get_cookie(cookie, "jx_session", token, sizeof(token)) != 64)
		return;
	crypto_digest(token, digest);
	st = db_query(db,
	              "SELECT s.id, s.account_id, s.identity_id, s.csrf_token, "
	              "s.created_at, s.last_seen_at, a.must_change_password, "
	              "a.lang, a.login, COALESCE(p.name, a.login) "
	              "FROM sessions s JOIN accounts a ON a.id = s.account_id "
	              "LEFT JOIN persons p ON p.id = a.person_id "
	              "WHERE s.token_hash = ?",
	              "s", digest);
	if (st == NULL || db_step(st) != JX_DB_ROW) {
		db_finish(st);
		return;
	}
	created = db_int(st, 4);
	seen = db_int(st, 5);
	if (now - seen > idle || now - created > absolute) {
		int64_t sid = db_int(st, 0);

		db_finish(st);
		db_exec(db, "DELETE FROM sessions WHERE id = ?", "i", sid);
		return;
	}
	req->session_id = db_int(st, 0);
	req->account_id = db_int(st, 1);
	identity_id = db_int(st, 2);
	req->csrf_token = arena_strdup(req->arena, db_text(st, 3));
	req->must_change = db_int(st, 6) != 0;
	req->account_lang =
	    db_is_null(st, 7) ? NULL : arena_strdup(req->arena, db_text(st, 7));
	req->account_login = arena_strdup(req->arena, db_text(st, 8));
	req->account_name = arena_strdup(req->arena, db_text(st, 9));
	db_finish(st);
	/* Touch the session at most once a minute: one write per request
	 * would serialise every reader behind the write lock. */
	if (now - seen >= 60)
		db_exec(db, "UPDATE sessions SET last_seen_at = ? WHERE id = ?",
		        "ii", now, req->session_id);
	if (identity_id > 0) {
		struct jx_identity *idt = arena_alloc(req->arena, sizeof(*idt));

		if (identity_load_cached(req->worker, db, req->arena,
		                         identity_id, idt,
		                         &req->identity_district_code) == 0) {
			req->identity = idt;
			req->role = idt->role;
		}
	}
	if (req->identity != NULL)
		req->district_code = req->identity_district_code;
}

int
auth_csrf_ok(jx_req *req)
{
	const char *tok = mg_get_header(req->conn, "X-CSRF-Token");

	if (tok == NULL)
		tok = req->form_csrf;
	return req->csrf_token != NULL && tok != NULL &&
	       crypto_equal(tok, req->csrf_token);
}

int
auth_plugin_enabled(jx_req *req, int plugin)
{
	if (plugin < 0 || plugin >= app.nplugins)
		return 1;
	if (app.plugins[plugin].state != PLUGIN_ACTIVE)
		return 0;
	/* The city administrator sees every loaded plugin. */
	if (req->role != NULL && strcmp(req->role, "city_admin") == 0)
		return 1;
	return access_district_has(req->district_code,
	                           app.plugins[plugin].name);
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

int
auth_home_visible(jx_req *req, const struct home_entry *h)
{
	return auth_role_listed(h->roles, req->role) &&
	       auth_plugin_enabled(req, h->plugin);
}

int64_t
auth_home_count(jx_req *req, const struct home_entry *h)
{
	size_t k = (size_t)(h - app.home);
	int prev;
	int64_t n;

	if (h->count == NULL)
		return -1;
	/* asked once per request: the home list and the tab's badge */
	if (req->home_counts == NULL) {
		req->home_counts = arena_alloc(
		    req->arena, (size_t)app.nhome * sizeof(*req->home_counts));
		for (int i = 0; i < app.nhome; i++)
			req->home_counts[i] = INT64_MIN;
	}
	if (req->home_counts[k] != INT64_MIN)
		return req->home_counts[k];
	prev = plugin_enter();
	n = h->count(req, h->ud);
	plugin_leave(prev);
	req->home_counts[k] = n;
	return n;
}

static int
auth_has_tabs(const char *role)
{
	return role != NULL &&
	       (strcmp(role, "parent") == 0 || strcmp(role, "student") == 0 ||
	        strcmp(role, "teacher") == 0);
}

static int
auth_tab_active(const char *path, const char *href)
{
	size_t n = strlen(href);

	if (strcmp(href, "/") == 0)
		return strcmp(path, "/") == 0;
	return strncmp(path, href, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

static void
auth_tab(struct auth_tab *t, const char *path, const char *href,
         const char *label_key, const char *icon)
{
	t->href = href;
	t->label_key = label_key;
	t->icon = icon;
	t->active = auth_tab_active(path, href);
	t->badge = 0;
}

int
auth_tabs(jx_req *req, struct auth_tab **out)
{
	const char *path = req->path ? req->path : "";
	struct auth_tab *tabs;
	int n = 0;

	*out = NULL;
	if (req->identity == NULL || !auth_has_tabs(req->role))
		return 0;
	tabs = arena_alloc(req->arena, (size_t)(app.nmenu + 2) * sizeof(*tabs));
	auth_tab(&tabs[n++], path, "/", "tab.home", "home");
	for (int i = 0; i < app.nmenu; i++) {
		const struct menu_entry *m = &app.menu[i];
		struct auth_tab *t;

		if (m->icon == NULL || !auth_menu_visible(req, m))
			continue;
		t = &tabs[n++];
		auth_tab(t, path, m->href, m->label_key, m->icon);
		/* the badge: the plugin's home item of the same page */
		for (int k = 0; k < app.nhome; k++) {
			const struct home_entry *h = &app.home[k];
			int64_t c;

			if (!(h->flags & JX_HOME_TAB_BADGE) ||
			    h->plugin != m->plugin || h->href == NULL ||
			    strcmp(h->href, m->href) != 0 ||
			    !auth_role_listed(h->roles, req->role))
				continue;
			if ((c = auth_home_count(req, h)) > 0)
				t->badge = c;
			break;
		}
	}
	auth_tab(&tabs[n++], path, "/me", "tab.me", "me");
	*out = tabs;
	return n;
}

void
auth_page_tabs(jx_req *req, cJSON *page)
{
	cJSON *arr = cJSON_AddArrayToObject(page, "tabs");
	struct auth_tab *tabs;
	int n = auth_tabs(req, &tabs);

	for (int i = 0; i < n; i++) {
		cJSON *t = cJSON_CreateObject();

		cJSON_AddStringToObject(t, "href", tabs[i].href);
		cJSON_AddStringToObject(t, "label_key", tabs[i].label_key);
		cJSON_AddStringToObject(t, "icon", tabs[i].icon);
		cJSON_AddBoolToObject(t, "active", tabs[i].active);
		if (tabs[i].badge > 0)
			cJSON_AddNumberToObject(t, "badge",
			                        (double)tabs[i].badge);
		cJSON_AddItemToArray(arr, t);
	}
}
