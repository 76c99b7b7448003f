/*
 * luajson.c — JSON <-> Lua for the sandbox (see luaenv.h): cJSON trees
 * pushed as Lua values and Lua values read back as cJSON, jx.null, and
 * jx.array/jx.object, the marks that say how an ambiguous table becomes
 * JSON.
 */
#include "luaenv_int.h"

#include <math.h>
#include <string.h>

#include <lauxlib.h>

#define LUAENV_JSON_DEPTH 64

/* Registry keys (their addresses are the keys). */
static const char luaenv_key_array;  /* metatable marking JSON arrays */
static const char luaenv_key_object; /* metatable marking JSON objects */
static const char luaenv_key_null;   /* jx.null */

/* jx.array(t) / jx.object(t): how an ambiguous table becomes JSON. */
static int
jx_mark(lua_State *L, const void *key, const void *other)
{
	if (lua_isnoneornil(L, 1)) {
		lua_settop(L, 0);
		lua_newtable(L);
	}
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	if (lua_getmetatable(L, 1)) {
		int ok;

		lua_rawgetp(L, LUA_REGISTRYINDEX, key);
		lua_rawgetp(L, LUA_REGISTRYINDEX, other);
		ok = lua_rawequal(L, -1, -3) || lua_rawequal(L, -2, -3);
		if (!ok)
			return luaL_error(L,
			                  "the table has a metatable already");
		lua_pop(L, 3);
	}
	lua_rawgetp(L, LUA_REGISTRYINDEX, key);
	lua_setmetatable(L, 1);
	return 1;
}

int
luaenv_jx_array(lua_State *L)
{
	return jx_mark(L, &luaenv_key_array, &luaenv_key_object);
}

int
luaenv_jx_object(lua_State *L)
{
	return jx_mark(L, &luaenv_key_object, &luaenv_key_array);
}

void
luaenv_push_null(lua_State *L)
{
	lua_pushlightuserdata(L, (void *)&luaenv_key_null);
}

void
luaenv_json_setup(lua_State *L)
{
	int i;

	for (i = 0; i < 2; i++) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, i == 0 ? "jx.array" : "jx.object");
		lua_setfield(L, -2, "__name");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		lua_rawsetp(L, LUA_REGISTRYINDEX,
		            i == 0 ? &luaenv_key_array : &luaenv_key_object);
	}
}

void
luaenv_mark_array(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_array);
	lua_setmetatable(L, idx);
}

int
luaenv_is_null(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TLIGHTUSERDATA &&
	       lua_touserdata(L, idx) == &luaenv_key_null;
}

static void
luaenv_json_push(lua_State *L, const cJSON *v, int depth)
{
	const cJSON *c;
	lua_Integer i = 1;

	luaL_checkstack(L, 4, "JSON nested too deeply");
	if (depth > 4 * LUAENV_JSON_DEPTH)
		luaL_error(L, "JSON nested too deeply");
	if (v == NULL || cJSON_IsNull(v) || cJSON_IsInvalid(v)) {
		lua_pushnil(L);
	} else if (cJSON_IsBool(v)) {
		lua_pushboolean(L, cJSON_IsTrue(v));
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d >= -9.2e18 && d <= 9.2e18 && d == floor(d))
			lua_pushinteger(L, (lua_Integer)d);
		else
			lua_pushnumber(L, d);
	} else if (cJSON_IsString(v) || cJSON_IsRaw(v)) {
		lua_pushstring(L, v->valuestring ? v->valuestring : "");
	} else if (cJSON_IsArray(v)) {
		lua_createtable(L, cJSON_GetArraySize(v), 0);
		cJSON_ArrayForEach(c, v)
		{
			if (cJSON_IsNull(c))
				lua_pushlightuserdata(L,
				                      (void *)&luaenv_key_null);
			else
				luaenv_json_push(L, c, depth + 1);
			lua_rawseti(L, -2, i++);
		}
		lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_array);
		lua_setmetatable(L, -2);
	} else {
		lua_createtable(L, 0, cJSON_GetArraySize(v));
		cJSON_ArrayForEach(c, v)
		{
			if (cJSON_IsNull(c) || c->string == NULL)
				continue;
			luaenv_json_push(L, c, depth + 1);
			lua_setfield(L, -2, c->string);
		}
		if (v->child == NULL) {
			lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_object);
			lua_setmetatable(L, -2);
		}
	}
}

static int
luaenv_json_push_run(lua_State *L)
{
	luaenv_json_push(L, lua_touserdata(L, 1), 0);
	return 1;
}

void
luaenv_push_json(lua_State *L, const cJSON *v)
{
	lua_checkstack(L, 4);
	lua_pushcfunction(L, luaenv_json_push_run);
	lua_pushlightuserdata(L, (void *)v);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
}

void
luaenv_push_json_raising(lua_State *L, const cJSON *v)
{
	luaenv_json_push(L, v, 0);
}

static int
luaenv_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, len, k;
	unsigned long cp, min;

	while (i < n) {
		unsigned c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			len = 2, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

static cJSON *luaenv_json_from(lua_State *L, int idx, int depth);

static cJSON *
luaenv_json_string(lua_State *L, int idx)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);

	if (memchr(s, '\0', len) != NULL ||
	    !luaenv_utf8_valid((const unsigned char *)s, len))
		return NULL;
	return cJSON_CreateString(s);
}

/* Never raises: no conversion in place, no allocation by Lua. */
static cJSON *
luaenv_json_table(lua_State *L, int idx, int depth)
{
	int kind = 0; /* 1 array, 2 object, 0 decide from the keys */
	size_t n = lua_rawlen(L, idx), count = 0, i;
	int all_int = 1, all_str = 1;
	cJSON *out = NULL, *item;

	if (depth > LUAENV_JSON_DEPTH || !lua_checkstack(L, 6))
		return NULL;
	if (lua_getmetatable(L, idx)) {
		lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_array);
		lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_object);
		kind = lua_rawequal(L, -3, -2)   ? 1
		       : lua_rawequal(L, -3, -1) ? 2
		                                 : 0;
		lua_pop(L, 3);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		count++;
		if (lua_type(L, -2) == LUA_TSTRING) {
			all_int = 0;
		} else {
			lua_Integer k;
			int isint;

			all_str = 0;
			k = lua_tointegerx(L, -2, &isint);
			if (!isint || k < 1 || (lua_Unsigned)k > n)
				all_int = 0;
		}
		lua_pop(L, 1);
	}
	if (kind == 0)
		kind = count == 0              ? 1
		       : all_int && count == n ? 1
		       : all_str               ? 2
		                               : 0;
	if (kind == 1) {
		if (!all_int)
			return NULL;
		if ((out = cJSON_CreateArray()) == NULL)
			return NULL;
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, (lua_Integer)i);
			item = luaenv_json_from(L, -1, depth + 1);
			lua_pop(L, 1);
			if (item == NULL || !cJSON_AddItemToArray(out, item))
				goto fail;
		}
		return out;
	}
	if (kind != 2 || !all_str || (out = cJSON_CreateObject()) == NULL)
		return NULL;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t klen;
		const char *k = lua_tolstring(L, -2, &klen);

		item = luaenv_json_from(L, -1, depth + 1);
		lua_pop(L, 1);
		if (item == NULL || memchr(k, '\0', klen) != NULL ||
		    !luaenv_utf8_valid((const unsigned char *)k, klen) ||
		    !cJSON_AddItemToObject(out, k, item)) {
			cJSON_Delete(item);
			lua_pop(L, 1);
			goto fail;
		}
	}
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

static cJSON *
luaenv_json_from(lua_State *L, int idx, int depth)
{
	idx = lua_absindex(L, idx);
	switch (lua_type(L, idx)) {
	case LUA_TNIL: return cJSON_CreateNull();
	case LUA_TBOOLEAN: return cJSON_CreateBool(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return cJSON_CreateNumber(
			    (double)lua_tointeger(L, idx));
		if (!isfinite(lua_tonumber(L, idx)))
			return NULL;
		return cJSON_CreateNumber(lua_tonumber(L, idx));
	case LUA_TSTRING: return luaenv_json_string(L, idx);
	case LUA_TLIGHTUSERDATA:
		return luaenv_is_null(L, idx) ? cJSON_CreateNull() : NULL;
	case LUA_TTABLE: return luaenv_json_table(L, idx, depth);
	default: return NULL;
	}
}

cJSON *
luaenv_to_json(lua_State *L, int idx)
{
	return luaenv_json_from(L, idx, 0);
}
