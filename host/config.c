/*
 * config.c — the deployment's configuration. config/jiaxiao.lua is a Lua
 * file returning a table; it runs in a sandboxed state (no io, os, load,
 * require; an instruction budget) and is converted to a cJSON tree laid
 * over the defaults below. `--set KEY=VALUE` overrides any dotted key;
 * VALUE is read as a Lua literal when it is one, else as a string.
 */
#include "host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* API.md's keys and defaults. plugins = nil means "every shipped one". */
static const char config_defaults[] =
    "return {\n"
    "  listen = '127.0.0.1:8080', threads = 512,\n"
    "  http = { header_timeout_ms = 10000, keep_alive_ms = 2000 },\n"
    "  data_dir = 'data', plugin_dir = 'build/plugins',\n"
    "  public_url = 'http://127.0.0.1:8080',\n"
    "  tls = false, trusted_proxies = {},\n"
    "  timezone = 'Asia/Shanghai',\n"
    "  session = { idle_minutes = 30, absolute_hours = 12 },\n"
    "  lua = { instructions = 10000000, memory_mb = 32 },\n"
    "  auth = { argon2_concurrency = 2, spray_failures_per_minute = 100,\n"
    "           queue_length = 64, queue_wait_ms = 10000 },\n"
    "  limits = { body_bytes = 1048576, upload_bytes = 20971520,\n"
    "             sheet_uncompressed_bytes = 209715200 },\n"
    "  wechat = { api_base = 'https://api.weixin.qq.com' },\n"
    "  sms = {},\n"
    "  districts = {},\n"
    "  testing = { clock_offset_seconds = 0 },\n"
    "  log_level = 'info',\n"
    "}\n";

#define CONFIG_INSTRUCTIONS 1000000

static void
config_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	luaL_error(L, "configuration ran too long");
}

static lua_State *
config_state(void)
{
	static const char *const unsafe[] = {
	    "dofile", "loadfile", "load",  "require", "collectgarbage",
	    "io",     "os",       "debug", "package", NULL};
	lua_State *L = luaL_newstate();

	if (L == NULL)
		return NULL;
	luaL_requiref(L, "_G", luaopen_base, 1);
	luaL_requiref(L, "string", luaopen_string, 1);
	luaL_requiref(L, "table", luaopen_table, 1);
	luaL_requiref(L, "math", luaopen_math, 1);
	lua_pop(L, 4);
	for (int i = 0; unsafe[i] != NULL; i++) {
		lua_pushnil(L);
		lua_setglobal(L, unsafe[i]);
	}
	lua_sethook(L, config_hook, LUA_MASKCOUNT, CONFIG_INSTRUCTIONS);
	return L;
}

static cJSON *config_to_json(lua_State *L, int idx, int depth);

static int
config_is_array(lua_State *L, int idx)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;

	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1)) {
			lua_pop(L, 1);
			return 0;
		}
		count++;
	}
	return count == n && n > 0;
}

static cJSON *
config_to_json(lua_State *L, int idx, int depth)
{
	cJSON *out;

	idx = lua_absindex(L, idx);
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN: return cJSON_CreateBool(lua_toboolean(L, idx));
	case LUA_TNUMBER: return cJSON_CreateNumber(lua_tonumber(L, idx));
	case LUA_TSTRING: return cJSON_CreateString(lua_tostring(L, idx));
	case LUA_TTABLE: break;
	default: return NULL;
	}
	if (depth > 16)
		return NULL;
	if (config_is_array(L, idx)) {
		lua_Integer n = (lua_Integer)lua_rawlen(L, idx);

		out = cJSON_CreateArray();
		for (lua_Integer i = 1; i <= n; i++) {
			cJSON *v;

			lua_rawgeti(L, idx, i);
			v = config_to_json(L, -1, depth + 1);
			lua_pop(L, 1);
			if (v == NULL) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToArray(out, v);
		}
		return out;
	}
	out = cJSON_CreateObject();
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		char key[64];
		cJSON *v;

		if (lua_type(L, -2) == LUA_TSTRING)
			snprintf(key, sizeof(key), "%s", lua_tostring(L, -2));
		else if (lua_isinteger(L, -2))
			snprintf(key, sizeof(key), "%lld",
			         (long long)lua_tointeger(L, -2));
		else {
			lua_pop(L, 1);
			continue;
		}
		v = config_to_json(L, -1, depth + 1);
		lua_pop(L, 1);
		if (v == NULL)
			continue;
		cJSON_AddItemToObject(out, key, v);
	}
	return out;
}

/* Lays src over dst: objects merge key by key, anything else replaces. */
static void
config_merge(cJSON *dst, cJSON *src)
{
	cJSON *item = src->child;

	while (item != NULL) {
		cJSON *next = item->next;
		cJSON *old =
		    cJSON_GetObjectItemCaseSensitive(dst, item->string);

		if (old != NULL && cJSON_IsObject(old) &&
		    cJSON_IsObject(item)) {
			config_merge(old, item);
		} else {
			cJSON_DetachItemViaPointer(src, item);
			if (old != NULL)
				cJSON_ReplaceItemViaPointer(dst, old, item);
			else
				cJSON_AddItemToObject(dst, item->string, item);
		}
		item = next;
	}
}

static cJSON *
config_eval(const char *src, size_t len, const char *name, int file, char *err,
            size_t errlen)
{
	lua_State *L = config_state();
	cJSON *out = NULL;
	int rc;

	if (L == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (file)
		rc = luaL_loadfilex(L, name, "t");
	else
		rc = luaL_loadbufferx(L, src, len, name, "t");
	if (rc == LUA_OK)
		rc = lua_pcall(L, 0, 1, 0);
	if (rc != LUA_OK) {
		snprintf(err, errlen, "%s", lua_tostring(L, -1));
		goto done;
	}
	if (!lua_istable(L, -1)) {
		snprintf(err, errlen, "%s: must return a table", name);
		goto done;
	}
	out = config_to_json(L, -1, 0);
	if (out == NULL)
		snprintf(err, errlen, "%s: nesting too deep", name);
done:
	lua_close(L);
	return out;
}

int
config_load(struct config *cfg, const char *file, char **sets, int nsets,
            char *err, size_t errlen)
{
	cJSON *over;

	memset(cfg, 0, sizeof(*cfg));
	cfg->root = config_eval(config_defaults, sizeof(config_defaults) - 1,
	                        "=defaults", 0, err, errlen);
	if (cfg->root == NULL)
		return -1;
	if (file != NULL) {
		FILE *f = fopen(file, "r");

		if (f == NULL) {
			snprintf(err, errlen, "cannot open %s: %s", file,
			         strerror(errno));
			return -1;
		}
		fclose(f);
		over = config_eval(NULL, 0, file, 1, err, errlen);
		if (over == NULL)
			return -1;
		config_merge(cfg->root, over);
		cJSON_Delete(over);
		cfg->path = strdup(file);
	}
	for (int i = 0; i < nsets; i++)
		if (config_set(cfg, sets[i], err, errlen) != 0)
			return -1;
	return 0;
}

void
config_free(struct config *cfg)
{
	cJSON_Delete(cfg->root);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

/* Reads VALUE as a Lua literal ("42", "true", "{'a','b'}"); anything
 * that is not one, or evaluates to nil, is the string itself. */
static cJSON *
config_value(const char *value)
{
	char err[256];
	size_t n = strlen(value) + 32;
	char *src = malloc(n);
	cJSON *wrapped, *v = NULL;

	if (src == NULL)
		return NULL;
	snprintf(src, n, "return { v = %s }", value);
	wrapped = config_eval(src, strlen(src), "=--set", 0, err, sizeof(err));
	free(src);
	if (wrapped != NULL) {
		v = cJSON_DetachItemFromObjectCaseSensitive(wrapped, "v");
		cJSON_Delete(wrapped);
	}
	return v != NULL ? v : cJSON_CreateString(value);
}

int
config_set(struct config *cfg, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char key[256], *part, *save = NULL;
	cJSON *node = cfg->root, *v;

	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		snprintf(err, errlen, "--set expects KEY=VALUE, got '%s'", kv);
		return -1;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	v = config_value(eq + 1);
	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	part = strtok_r(key, ".", &save);
	while (part != NULL) {
		char *next = strtok_r(NULL, ".", &save);
		cJSON *child = cJSON_GetObjectItemCaseSensitive(node, part);

		if (next == NULL) {
			if (child != NULL)
				cJSON_ReplaceItemInObjectCaseSensitive(node,
				                                       part, v);
			else
				cJSON_AddItemToObject(node, part, v);
			return 0;
		}
		if (child == NULL || !cJSON_IsObject(child)) {
			cJSON *obj = cJSON_CreateObject();

			if (child != NULL)
				cJSON_ReplaceItemInObjectCaseSensitive(
				    node, part, obj);
			else
				cJSON_AddItemToObject(node, part, obj);
			child = obj;
		}
		node = child;
		part = next;
	}
	cJSON_Delete(v);
	snprintf(err, errlen, "--set: empty key in '%s'", kv);
	return -1;
}

const cJSON *
config_get(const struct config *cfg, const char *path)
{
	const cJSON *node = cfg->root;
	const char *p = path;

	while (node != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char part[128];

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		/* An array's item by its index ("districts.430104.modules.0"):
		 * how a plugin reads a list of strings one by one. */
		if (cJSON_IsArray(node) && n > 0 &&
		    strspn(part, "0123456789") == n)
			node = cJSON_GetArrayItem(node, atoi(part));
		else
			node = cJSON_GetObjectItemCaseSensitive(node, part);
		p += n + (dot != NULL);
	}
	return node;
}

const char *
config_string(const struct config *cfg, const char *path)
{
	const cJSON *v = config_get(cfg, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t
config_int(const struct config *cfg, const char *path, int64_t def)
{
	const cJSON *v = config_get(cfg, path);

	if (cJSON_IsNumber(v))
		return (int64_t)v->valuedouble;
	/* A switch reads as 0 or 1: how plugins read one (tls). */
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
		char *end;
		long long n = strtoll(v->valuestring, &end, 10);

		if (*end == '\0')
			return n;
	}
	return def;
}

int
config_bool(const struct config *cfg, const char *path, int def)
{
	const cJSON *v = config_get(cfg, path);

	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsString(v))
		return strcmp(v->valuestring, "true") == 0 ||
		       strcmp(v->valuestring, "1") == 0;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	return def;
}
