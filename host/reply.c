/*
 * reply.c — the reply toolkit: everything that makes a request's reply
 * in its jx_req (status, content type, body, extra headers) for http.c
 * to send: JSON, problem+json (with the error id and the full-disk 507
 * every 5xx gets), pages rendered from a template inside the layout
 * (title, language, CSRF token, user, menu), redirects and raw bodies,
 * and the template and i18n helpers handlers use.
 *
 * Layering: reply.c calls down only (arena, problem objects, render,
 * the caller's identity for the layout through auth.c, the thread's
 * Lua state); the dispatcher (http.c) and every endpoint, host or
 * plugin, call it, and it calls none of them. The http_ prefix stays:
 * these are the HTTP replies every host module has always called.
 */
#include "auth.h"
#include "crypto.h"
#include "host.h"
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>
#include <lauxlib.h>

void
http_add_header(jx_req *req, const char *name, const char *value)
{
	/* Header values never carry line breaks (response splitting). */
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return;
	buf_printf(&req->headers, "%s: %s\r\n", name, value);
}

static int
reply_set(jx_req *req, int status, const char *ctype, const void *data,
          size_t len)
{
	req->status = status;
	req->content_type = ctype;
	buf_reset(&req->body);
	if (len > 0)
		buf_append(&req->body, data, len);
	return status;
}

int
http_reply_raw(jx_req *req, int status, const char *ctype, const void *data,
               size_t len, const char *extra)
{
	if (extra != NULL)
		buf_puts(&req->headers, extra);
	return reply_set(req, status, arena_strdup(req->arena, ctype), data,
	                 len);
}

const char *
http_problem_message(jx_req *req)
{
	const cJSON *p = req->last_problem, *m;

	m = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "errors"),
	                       0),
	    "message");
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItemCaseSensitive(p, "detail");
	return cJSON_IsString(m) ? m->valuestring : NULL;
}

int
http_reply_json(jx_req *req, int status, cJSON *body)
{
	size_t n;
	char *s;

	if (body == NULL)
		return reply_set(req, status, NULL, NULL, 0);
	s = json_print(body, &n);
	cJSON_Delete(body);
	reply_set(req, status, "application/json; charset=utf-8", s, n);
	free(s);
	return status;
}

/* Seconds a client waits before trying again after a full disk: long
 * enough for an operator's alert to be acted on, short enough that a
 * parent's retry succeeds once space is back. */
#define REPLY_FULL_RETRY_AFTER "120"

static cJSON *
reply_problem_for_request(jx_req *req, int *status, const char *type,
                          const char *title, const char *detail)
{
	char id[17], text[512];
	cJSON *p;

	if (*status < 500)
		return problem_new(*status, type, title, detail, req->errors);
	/* Every storage failure of the request ends up here as a 500 from
	 * its handler, whatever plugin: a full disk (the worker's
	 * connection knows) is the client's to retry, not a fault. */
	if (*status == 500 && req->worker != NULL && req->worker->db != NULL &&
	    db_storage_full(req->worker->db)) {
		*status = 507;
		type = "storage-full";
		title = problem_status_title(507);
		detail = "The server's storage is full; nothing was changed. "
		         "Try again later.";
		http_add_header(req, "Retry-After", REPLY_FULL_RETRY_AFTER);
	}
	/* An id the operator finds in the log beside the cause. */
	crypto_token(id, 8);
	jx_log(JX_LOG_ERROR, "http", "error %s: %d %s on %s %s: %s", id,
	       *status, type ? type : "error", req->method ? req->method : "",
	       req->path ? req->path : "",
	       req->worker && req->worker->db ? db_errmsg(req->worker->db)
	                                      : "");
	snprintf(text, sizeof(text), "%s (error id %s)",
	         detail ? detail : (title ? title : "Error"), id);
	p = problem_new(*status, type, title, text, req->errors);
	cJSON_AddStringToObject(p, "error_id", id);
	return p;
}

/* 1 when s holds a Chinese character (U+3000..U+9FFF, U+FF00..). */
static int
reply_has_cjk(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0xe3 && *p <= 0xef && *p != 0xee)
			return 1;
	return 0;
}

/*
 * The error page's data from a problem: a page in zh-CN shows Chinese
 * only (issue 13: the 404 page read "Not found / No such resource."). The
 * heading is the status's message in the page's language; the problem's
 * detail is shown only when written in that language (handlers mostly
 * write English details for the API), else the status's own sentence
 * (error.<status>.detail) when the catalog has one. A 5xx keeps its
 * error id apart, to quote to the operator.
 */
static cJSON *
reply_error_page(jx_req *req, int status, const cJSON *p)
{
	cJSON *v = cJSON_CreateObject();
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(p, "title");
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(p, "detail");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "error_id");
	int zh = strcmp(req->lang ? req->lang : "zh-CN", "en") != 0;
	char key[48];
	const char *t;

	cJSON_AddNumberToObject(v, "status", status);
	snprintf(key, sizeof(key), "error.%d", status);
	t = http_t(req, key);
	if (strcmp(t, key) != 0)
		cJSON_AddStringToObject(v, "title", t);
	else if (cJSON_IsString(title) &&
	         reply_has_cjk(title->valuestring) == zh)
		cJSON_AddStringToObject(v, "title", title->valuestring);
	if (cJSON_IsString(id))
		cJSON_AddStringToObject(v, "error_id", id->valuestring);
	if (!cJSON_IsString(id) && cJSON_IsString(detail) &&
	    reply_has_cjk(detail->valuestring) == zh) {
		cJSON_AddStringToObject(v, "detail", detail->valuestring);
	} else {
		snprintf(key, sizeof(key), "error.%d.detail", status);
		t = http_t(req, key);
		if (strcmp(t, key) != 0)
			cJSON_AddStringToObject(v, "detail", t);
	}
	return v;
}

int
http_reply_problem(jx_req *req, int status, const char *type, const char *title,
                   const char *detail)
{
	cJSON *p = reply_problem_for_request(req, &status, type, title, detail);

	req->errors = NULL;
	/* Pages that show a form again read the reason from here. */
	if (req->last_problem != NULL)
		cJSON_Delete(req->last_problem);
	req->last_problem = cJSON_Duplicate(p, 1);
	if (!req->is_api && (req->match.route == NULL ||
	                     (req->match.route->flags & JX_ROUTE_PAGE))) {
		cJSON *v = reply_error_page(req, status, p);

		cJSON_Delete(p);
		return http_reply_view(req, status, "error", v);
	}
	http_reply_json(req, status, p);
	req->content_type = "application/problem+json; charset=utf-8";
	return status;
}

/* A flash key is a catalog key under "flash.": letters, digits, dots
 * and underscores only, so the cookie can never name other text. */
static int
reply_flash_key_ok(const char *key)
{
	if (strncmp(key, "flash.", 6) != 0 || key[6] == '\0')
		return 0;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_'))
			return 0;
	return 1;
}

static const char *
reply_flash_cookie(jx_req *req, const char *key)
{
	const char *secure = config_bool(&app.cfg, "tls", 0) ? "; Secure" : "";

	return arena_sprintf(req->arena,
	                     "jx_flash=%s; Path=/; HttpOnly; SameSite=Lax; "
	                     "Max-Age=%d%s",
	                     key ? key : "", key ? 120 : 0, secure);
}

void
http_flash(jx_req *req, const char *key)
{
	if (key != NULL && reply_flash_key_ok(key))
		http_add_header(req, "Set-Cookie",
		                reply_flash_cookie(req, key));
}

/* The flash a redirect left (a cookie naming a catalog key), as
 * page.flash in the page's language (NULL for none); the cookie is
 * cleared, so it shows once. An unknown key shows nothing. */
static const char *
reply_page_flash(jx_req *req)
{
	const char *cookies =
	    req->conn ? mg_get_header(req->conn, "Cookie") : NULL;
	const char *msg;
	char key[64];

	if (cookies == NULL ||
	    mg_get_cookie(cookies, "jx_flash", key, sizeof(key)) <= 0)
		return NULL;
	http_add_header(req, "Set-Cookie", reply_flash_cookie(req, NULL));
	if (!reply_flash_key_ok(key))
		return NULL;
	msg = http_t(req, key);
	return msg != NULL && strcmp(msg, key) != 0 ? msg : NULL;
}

/*
 * The layout's data (page): title, back link, flash, language, CSRF
 * token, path, here, user, identities, acting identity, tabs, menu.
 * Gathered in C before the render (the tabs' badges run plugin code, the
 * flash a lookup of its own), then pushed straight into a Lua table by
 * reply_push_page inside it: no cJSON tree to build, copy and free on
 * every page.
 */
struct reply_shell {
	jx_req *req;
	const char *title, *back, *flash, *here;
	const struct identity_row *ids;
	int nids;
	struct auth_tab *tabs;
	int ntabs;
	const struct menu_entry **menu;
	int nmenu;
};

static void
reply_shell(jx_req *req, const cJSON *data, struct reply_shell *sh)
{
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(data, "title");
	const cJSON *back = cJSON_GetObjectItemCaseSensitive(data, "back");

	memset(sh, 0, sizeof(*sh));
	sh->req = req;
	if (cJSON_IsString(title))
		sh->title = title->valuestring;
	/* The parent page a handler names, for the phone's back arrow when
	 * there is no history to go back to: local paths only. */
	if (cJSON_IsString(back) && back->valuestring[0] == '/' &&
	    back->valuestring[1] != '/' && back->valuestring[1] != '\\')
		sh->back = back->valuestring;
	sh->flash = reply_page_flash(req);
	/* This page again, for a form that comes back to it (the identity
	 * sheet's next): the query only of a GET, which can be repeated. */
	if (req->query != NULL && *req->query != '\0' && req->method != NULL &&
	    strcmp(req->method, "GET") == 0)
		sh->here =
		    arena_sprintf(req->arena, "%s?%s", req->path, req->query);
	else
		sh->here = req->path;
	if (req->account_id != 0)
		sh->nids = identity_page_rows(req, &sh->ids);
	sh->ntabs = auth_tabs(req, &sh->tabs);
	sh->menu = arena_alloc(req->arena,
	                       (size_t)(app.nmenu + 1) * sizeof(*sh->menu));
	for (int i = 0; i < app.nmenu; i++) {
		const struct menu_entry *m = &app.menu[i];

		/* tabs (menu_tab) live in page.tabs only */
		if (m->icon != NULL || !auth_menu_visible(req, m))
			continue;
		sh->menu[sh->nmenu++] = m;
	}
}

/* The page table's keys, interned once per Lua state and kept in the
 * registry (constants: nothing to go stale): lua_setfield with a C
 * string looks the key up in Lua's string cache and, as often as not,
 * interns it again, dozens of times a page. */
enum {
	RK_MENU = 1,
	RK_LABEL,
	RK_HREF,
	RK_ACTIVE,
	RK_TITLE,
	RK_BACK,
	RK_FLASH,
	RK_LANG,
	RK_CSRF,
	RK_PATH,
	RK_HERE,
	RK_USER,
	RK_NAME,
	RK_LOGIN,
	RK_MUST,
	RK_IDENTITIES,
	RK_ID,
	RK_ROLE,
	RK_ACTING,
	RK_TABS,
	RK_LABEL_KEY,
	RK_ICON,
	RK_BADGE,
	RK_COUNT
};

static const char *const reply_key_names[RK_COUNT] = {
    [RK_MENU] = "menu",
    [RK_LABEL] = "label",
    [RK_HREF] = "href",
    [RK_ACTIVE] = "active",
    [RK_TITLE] = "title",
    [RK_BACK] = "back",
    [RK_FLASH] = "flash",
    [RK_LANG] = "lang",
    [RK_CSRF] = "csrf_token",
    [RK_PATH] = "path",
    [RK_HERE] = "here",
    [RK_USER] = "user",
    [RK_NAME] = "name",
    [RK_LOGIN] = "login",
    [RK_MUST] = "must_change_password",
    [RK_IDENTITIES] = "identities",
    [RK_ID] = "id",
    [RK_ROLE] = "role",
    [RK_ACTING] = "acting_identity_id",
    [RK_TABS] = "tabs",
    [RK_LABEL_KEY] = "label_key",
    [RK_ICON] = "icon",
    [RK_BADGE] = "badge",
};

static const char reply_key_table; /* its address is the registry key */

/* Pushes the keys' table (key i at index i); returns its index. */
static int
reply_push_keys(lua_State *L)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &reply_key_table) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_createtable(L, RK_COUNT - 1, 0);
		for (int i = 1; i < RK_COUNT; i++) {
			lua_pushstring(L, reply_key_names[i]);
			lua_rawseti(L, -2, i);
		}
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &reply_key_table);
	}
	return lua_gettop(L);
}

/* Sets key k of the table at the top to the value at the top (popped);
 * the tables are new and plain, so a raw set is what lua_setfield
 * does. */
static void
reply_set_top(lua_State *L, int keys, int k)
{
	lua_rawgeti(L, keys, k);
	lua_insert(L, -2);
	lua_rawset(L, -3);
}

static void
reply_set_str(lua_State *L, int keys, int k, const char *v)
{
	if (v == NULL)
		return;
	lua_pushstring(L, v);
	reply_set_top(L, keys, k);
}

static void
reply_set_int(lua_State *L, int keys, int k, int64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	reply_set_top(L, keys, k);
}

static void
reply_set_bool(lua_State *L, int keys, int k, int v)
{
	lua_pushboolean(L, v);
	reply_set_top(L, keys, k);
}

/* The page table, as luaenv_push_json would have made it of the
 * object reply_page used to build: arrays marked as arrays, integers as
 * integers, JSON nulls absent. */
static void
reply_push_page(lua_State *L, void *ud)
{
	const struct reply_shell *sh = ud;
	jx_req *req = sh->req;
	int keys;

	luaL_checkstack(L, 10, "page");
	keys = reply_push_keys(L);
	lua_createtable(L, 0, 16);
	lua_createtable(L, sh->nmenu, 0);
	for (int i = 0; i < sh->nmenu; i++) {
		const struct menu_entry *m = sh->menu[i];

		lua_createtable(L, 0, 3);
		render_push_t(L, m->label_key);
		reply_set_top(L, keys, RK_LABEL);
		reply_set_str(L, keys, RK_HREF, m->href);
		reply_set_bool(L, keys, RK_ACTIVE,
		               strcmp(req->path, m->href) == 0);
		lua_rawseti(L, -2, i + 1);
	}
	luaenv_mark_array(L, -1);
	reply_set_top(L, keys, RK_MENU);
	reply_set_str(L, keys, RK_TITLE, sh->title);
	reply_set_str(L, keys, RK_BACK, sh->back);
	reply_set_str(L, keys, RK_FLASH, sh->flash);
	reply_set_str(L, keys, RK_LANG, req->lang);
	reply_set_str(L, keys, RK_CSRF, req->csrf_token ? req->csrf_token : "");
	reply_set_str(L, keys, RK_PATH, req->path);
	reply_set_str(L, keys, RK_HERE, sh->here);
	/* user, identities, acting_identity_id */
	if (req->account_id != 0) {
		lua_createtable(L, 0, 3);
		reply_set_str(L, keys, RK_NAME,
		              req->account_name ? req->account_name : "");
		reply_set_str(L, keys, RK_LOGIN,
		              req->account_login ? req->account_login : "");
		reply_set_bool(L, keys, RK_MUST, req->must_change);
		reply_set_top(L, keys, RK_USER);
	}
	lua_createtable(L, sh->nids, 0);
	for (int i = 0; i < sh->nids; i++) {
		lua_createtable(L, 0, 3);
		reply_set_int(L, keys, RK_ID, sh->ids[i].id);
		reply_set_str(L, keys, RK_ROLE, sh->ids[i].role);
		reply_set_str(L, keys, RK_LABEL, sh->ids[i].label);
		lua_rawseti(L, -2, i + 1);
	}
	luaenv_mark_array(L, -1);
	reply_set_top(L, keys, RK_IDENTITIES);
	if (req->account_id != 0 && req->identity != NULL)
		reply_set_int(L, keys, RK_ACTING, req->identity->id);
	/* tabs (auth_page_tabs') */
	lua_createtable(L, sh->ntabs, 0);
	for (int i = 0; i < sh->ntabs; i++) {
		const struct auth_tab *t = &sh->tabs[i];

		lua_createtable(L, 0, 5);
		reply_set_str(L, keys, RK_HREF, t->href);
		reply_set_str(L, keys, RK_LABEL_KEY, t->label_key);
		reply_set_str(L, keys, RK_ICON, t->icon);
		reply_set_bool(L, keys, RK_ACTIVE, t->active);
		if (t->badge > 0)
			reply_set_int(L, keys, RK_BADGE, t->badge);
		lua_rawseti(L, -2, i + 1);
	}
	luaenv_mark_array(L, -1);
	reply_set_top(L, keys, RK_TABS);
	/* the page table in the keys' place, as push_page leaves it */
	lua_remove(L, keys);
}

int
http_reply_view(jx_req *req, int status, const char *tmpl, cJSON *data)
{
	return http_reply_view_with(req, status, tmpl, data, NULL, NULL);
}

int
http_reply_view_with(jx_req *req, int status, const char *tmpl, cJSON *data,
                     void (*add_data)(struct lua_State *L, void *ud), void *ud)
{
	struct thread *w = req->worker;
	struct reply_shell sh;
	char err[512];
	int rc;

	if (data == NULL)
		data = cJSON_CreateObject();
	if (req->is_api)
		return http_reply_json(req, status, data);
	if (w->lua == NULL) {
		cJSON_Delete(data);
		return reply_set(req, 500, "text/plain; charset=utf-8",
		                 "template engine unavailable\n", 28);
	}
	reply_shell(req, data, &sh);
	buf_reset(&req->body);
	rc = render_page_with(w->lua, tmpl, data, add_data, ud, reply_push_page,
	                      &sh, req->lang, &req->body, err, sizeof(err));
	cJSON_Delete(data);
	if (rc != 0) {
		static const char msg[] =
		    "<!doctype html><html lang=\"zh-CN\"><head>"
		    "<meta charset=\"utf-8\"><title>错误 Error</title>"
		    "</head><body><main><h1>页面出错 Page error</h1>"
		    "<p>请稍后再试。Please try again later.</p></main>"
		    "</body></html>";

		jx_log(JX_LOG_ERROR, "render", "%s: %s", tmpl, err);
		return reply_set(req, 500, "text/html; charset=utf-8", msg,
		                 sizeof(msg) - 1);
	}
	req->status = status;
	req->content_type = "text/html; charset=utf-8";
	return status;
}

int
http_reply_redirect(jx_req *req, const char *location)
{
	/* Local paths only: never an open redirect. */
	struct buf enc;

	if (location == NULL || location[0] != '/' || location[1] == '/' ||
	    location[1] == '\\')
		location = "/";
	/* Spaces, controls and non-ASCII bytes are percent-encoded: a
	 * header carries none of them raw. */
	buf_init(&enc);
	for (const unsigned char *p = (const unsigned char *)location; *p;
	     p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"')
			buf_printf(&enc, "%%%02X", *p);
		else
			buf_append(&enc, p, 1);
	}
	http_add_header(req, "Location", arena_strdup(req->arena, enc.data));
	buf_free(&enc);
	return reply_set(req, 303, NULL, NULL, 0);
}

char *
http_render(jx_req *req, const char *tmpl, const cJSON *data)
{
	struct buf out;
	char err[512];
	char *s = NULL;

	if (req->worker->lua == NULL)
		return NULL;
	buf_init(&out);
	if (render_template(req->worker->lua, tmpl, data, req->lang, &out, err,
	                    sizeof(err)) == 0)
		s = arena_strndup(req->arena, out.data ? out.data : "",
		                  out.len);
	else
		jx_log(JX_LOG_ERROR, "render", "%s: %s", tmpl, err);
	buf_free(&out);
	return s;
}

const char *
http_tr(jx_req *req, const char *zh, const char *en)
{
	return req->lang != NULL && strcmp(req->lang, "en") == 0 ? en : zh;
}

const char *
http_t(jx_req *req, const char *key)
{
	if (req->worker->lua == NULL)
		return key;
	return arena_strdup(req->arena,
	                    render_t(req->worker->lua, req->lang, key));
}
