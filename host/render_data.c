/*
 * render_data.c — a plugin's page data written straight into the
 * template's variables (ABI 2.5: jx_host->reply_view_data and the pd_*
 * writer), as the host's own `/` and `/me` do with render_page_with's
 * add_data: no cJSON tree built, copied key by key into Lua and freed.
 *
 * The plugin never sees Lua: it calls open/close (an object or array),
 * str, int and bool, each with a key inside an object (NULL inside an
 * array). On a page the writer works on the Lua stack of the render
 * (tables typed and marked as luaenv_push_json makes them: integers as
 * integers, arrays marked); for the API, or a request without a
 * template engine, the same calls build cJSON members of the reply's
 * data, so one writer serves both faces. Nesting deeper than
 * RD_DEPTH is dropped (with everything inside it), never a crash; a
 * value with a NULL key inside an object, or a NULL string, is absent
 * (as a JSON null would be).
 */
#include "host.h"
#include "render.h"

#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#define RD_DEPTH 32

struct jx_page_data {
	jx_req *req;
	lua_State *L;              /* a page: the render's stack */
	cJSON *json[RD_DEPTH + 1]; /* the API: the open containers */
	int is_array[RD_DEPTH + 1];
	lua_Integer n[RD_DEPTH + 1]; /* items of an open array so far */
	int depth;                   /* 0: the variables themselves */
	int skipped;                 /* opens past RD_DEPTH not closed */
};

struct rd_job {
	jx_req *req;
	void (*write)(jx_req *req, struct jx_page_data *pd, void *ud);
	void *ud;
};

/* Lua: puts the value on top into the container below it (and the key
 * pushed under the value when the container is an object). */
static void
rd_lua_set(struct jx_page_data *pd)
{
	if (pd->is_array[pd->depth])
		lua_rawseti(pd->L, -2, ++pd->n[pd->depth]);
	else
		lua_rawset(pd->L, -3);
}

/* 1 when a value may be written here: not inside a dropped container,
 * and with a key exactly when the container is an object; on a page the
 * key is pushed. */
static int
rd_begin(struct jx_page_data *pd, const char *key)
{
	if (pd == NULL || pd->skipped > 0)
		return 0;
	if (pd->is_array[pd->depth] ? key != NULL : key == NULL)
		return 0;
	if (pd->L != NULL) {
		luaL_checkstack(pd->L, 3, "page data");
		if (key != NULL)
			lua_pushstring(pd->L, key);
	}
	return 1;
}

/* cJSON: adds v to the open container. */
static void
rd_json_add(struct jx_page_data *pd, const char *key, cJSON *v)
{
	cJSON *c = pd->json[pd->depth];

	if (v == NULL)
		return;
	if (pd->is_array[pd->depth])
		cJSON_AddItemToArray(c, v);
	else {
		cJSON_DeleteItemFromObjectCaseSensitive(c, key);
		cJSON_AddItemToObject(c, key, v);
	}
}

void
render_data_open(struct jx_page_data *pd, const char *key, int array)
{
	if (pd != NULL && pd->skipped > 0) {
		pd->skipped++;
		return;
	}
	if (pd == NULL)
		return;
	if (pd->depth >= RD_DEPTH || !rd_begin(pd, key)) {
		pd->skipped = 1;
		return;
	}
	pd->depth++;
	pd->is_array[pd->depth] = array != 0;
	pd->n[pd->depth] = 0;
	if (pd->L != NULL) {
		lua_createtable(pd->L, array ? 8 : 0, array ? 0 : 4);
		if (array)
			luaenv_mark_array(pd->L, -1);
		pd->json[pd->depth] = NULL;
	} else {
		cJSON *c = array ? cJSON_CreateArray() : cJSON_CreateObject();

		pd->depth--;
		rd_json_add(pd, key, c);
		pd->depth++;
		pd->json[pd->depth] = c;
		if (c == NULL)
			pd->skipped = 1, pd->depth--;
	}
}

void
render_data_close(struct jx_page_data *pd)
{
	if (pd == NULL)
		return;
	if (pd->skipped > 0) {
		pd->skipped--;
		return;
	}
	if (pd->depth == 0)
		return; /* the variables themselves stay open */
	pd->depth--;
	if (pd->L != NULL)
		rd_lua_set(pd);
}

void
render_data_str(struct jx_page_data *pd, const char *key, const char *s,
                size_t len)
{
	if (s == NULL)
		return;
	if (len == (size_t)-1)
		len = strlen(s);
	if (!rd_begin(pd, key))
		return;
	if (pd->L != NULL) {
		lua_pushlstring(pd->L, s, len);
		rd_lua_set(pd);
	} else
		rd_json_add(
		    pd, key,
		    cJSON_CreateString(arena_strndup(pd->req->arena, s, len)));
}

void
render_data_html(struct jx_page_data *pd, const char *key, const char *s,
                 size_t len)
{
	if (s == NULL)
		return;
	if (len == (size_t)-1)
		len = strlen(s);
	if (!rd_begin(pd, key))
		return;
	if (pd->L != NULL) {
		render_push_chunk(pd->L, s, len);
		rd_lua_set(pd);
	} else
		rd_json_add(
		    pd, key,
		    cJSON_CreateString(arena_strndup(pd->req->arena, s, len)));
}

void
render_data_int(struct jx_page_data *pd, const char *key, int64_t v)
{
	if (!rd_begin(pd, key))
		return;
	if (pd->L != NULL) {
		lua_pushinteger(pd->L, (lua_Integer)v);
		rd_lua_set(pd);
	} else
		rd_json_add(pd, key, cJSON_CreateNumber((double)v));
}

void
render_data_bool(struct jx_page_data *pd, const char *key, int v)
{
	if (!rd_begin(pd, key))
		return;
	if (pd->L != NULL) {
		lua_pushboolean(pd->L, v != 0);
		rd_lua_set(pd);
	} else
		rd_json_add(pd, key, cJSON_CreateBool(v != 0));
}

void
render_data_lua(lua_State *L, struct jx_req *req,
                void (*write)(struct jx_req *req, struct jx_page_data *pd,
                              void *ud),
                void *ud)
{
	struct jx_page_data pd;

	memset(&pd, 0, sizeof(pd));
	pd.req = req;
	pd.L = L;
	write(req, &pd, ud);
	/* whatever the writer left open is closed: the stack as found */
	pd.skipped = 0;
	while (pd.depth > 0)
		render_data_close(&pd);
}

void
render_data_json(cJSON *obj, struct jx_req *req,
                 void (*write)(struct jx_req *req, struct jx_page_data *pd,
                               void *ud),
                 void *ud)
{
	struct jx_page_data pd;

	if (obj == NULL)
		return;
	memset(&pd, 0, sizeof(pd));
	pd.req = req;
	pd.json[0] = obj;
	pd.is_array[0] = cJSON_IsArray(obj);
	write(req, &pd, ud);
}

/* add_data of render_page_with: the variables' table on top. */
static void
rd_add_data(lua_State *L, void *ud)
{
	struct rd_job *job = ud;

	render_data_lua(L, job->req, job->write, job->ud);
}

int
render_reply_view_data(jx_req *req, int status, const char *tmpl, cJSON *data,
                       void (*write)(jx_req *req, struct jx_page_data *pd,
                                     void *ud),
                       void *ud)
{
	struct rd_job job = {req, write, ud};

	if (write == NULL)
		return http_reply_view(req, status, tmpl, data);
	if (data == NULL)
		data = cJSON_CreateObject();
	if (req->is_api || req->worker == NULL || req->worker->lua == NULL) {
		render_data_json(data, req, write, ud);
		return http_reply_view(req, status, tmpl, data);
	}
	return http_reply_view_with(req, status, tmpl, data, rd_add_data, &job);
}
