/*
 * luasandbox.c — what scripts see (see luaenv.h): the sandbox globals
 * built once per state, read-only library tables, chunk environments,
 * and the replacements for base functions that would let a script out
 * (load, require of scripts/lib only, setmetatable without __gc, rawset,
 * collectgarbage, os.time and os.date on the host clock).
 */
#include "luaenv_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lualib.h>

#include "render.h"

/* Registry keys (their addresses are the keys). */
static const char luaenv_key_envmt;    /* metatable of chunk environments */
static const char luaenv_key_loaded;   /* scripts/lib modules by name */
static const char luaenv_key_readonly; /* set in read-only proxies' mt */
static const char luaenv_key_loading;  /* a module being loaded */

int
luaenv_call_orig(lua_State *L)
{
	return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

void
luaenv_new_env(lua_State *L)
{
	lua_newtable(L);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_envmt);
	lua_setmetatable(L, -2);
}

/* __index of a district's rule environment: the district's own value,
 * else the default rules', else the sandbox globals. */
static int
luaenv_district_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_gettable(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	lua_pushvalue(L, 2);
	lua_gettable(L, lua_upvalueindex(2));
	return 1;
}

void
luaenv_new_district_env(lua_State *L, int defaults)
{
	defaults = lua_absindex(L, defaults);
	lua_newtable(L);
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, defaults);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_envmt);
	lua_getfield(L, -1, "__index");
	lua_remove(L, -2);
	lua_pushcclosure(L, luaenv_district_index, 2);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
}

static int
luaenv_is_readonly(lua_State *L, int idx)
{
	int ro;

	if (!lua_getmetatable(L, idx))
		return 0;
	lua_rawgetp(L, -1, &luaenv_key_readonly);
	ro = lua_toboolean(L, -1);
	lua_pop(L, 2);
	return ro;
}

static int
sb_readonly_newindex(lua_State *L)
{
	return luaL_error(L, "attempt to modify a read-only table");
}

/* Iterates the real table of a proxy without handing it out. */
static int
sb_readonly_next(lua_State *L)
{
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 2);
	if (lua_next(L, 3))
		return 2;
	lua_pushnil(L);
	return 1;
}

static int
sb_readonly_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushcclosure(L, sb_readonly_next, 1);
	lua_pushnil(L);
	lua_pushnil(L);
	return 3;
}

/* Replaces the table at the top of the stack by a read-only proxy. */
static void
luaenv_readonly(lua_State *L)
{
	int real = lua_gettop(L);

	lua_newtable(L);
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, real);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, sb_readonly_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushvalue(L, real);
	lua_pushcclosure(L, sb_readonly_pairs, 1);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pushboolean(L, 1);
	lua_rawsetp(L, -2, &luaenv_key_readonly);
	lua_setmetatable(L, -2);
	lua_replace(L, real);
}

/* Finalizers run with hooks off, so one could loop forever. */
static int
sb_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not "
			                     "allowed in the sandbox");
		lua_pop(L, 1);
	}
	return luaenv_call_orig(L);
}

static int
sb_rawset(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	if (luaenv_is_readonly(L, 1))
		return luaL_error(L, "attempt to modify a read-only table");
	return luaenv_call_orig(L);
}

/* A full collection is work the budget cannot see: only "count". */
static int
sb_collectgarbage(lua_State *L)
{
	const char *opt = luaL_optstring(L, 1, "collect");

	if (strcmp(opt, "count") != 0)
		return luaL_error(L, "collectgarbage: only \"count\" is "
		                     "available in the sandbox");
	return luaenv_call_orig(L);
}

/* load: source strings only, always text, in a fresh environment unless
 * one is given. */
static int
sb_load(lua_State *L)
{
	size_t len;
	const char *s, *name;
	int has_env = !lua_isnone(L, 4);

	if (lua_type(L, 1) != LUA_TSTRING) {
		luaL_pushfail(L);
		lua_pushliteral(L, "load: only source strings can be loaded");
		return 2;
	}
	s = lua_tolstring(L, 1, &len);
	name = luaL_optstring(L, 2, s);
	/* The parser is C code too: about one instruction a byte. */
	luaenv_charge(L, (int64_t)len);
	if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
		luaL_pushfail(L);
		lua_insert(L, -2);
		return 2;
	}
	if (has_env)
		lua_pushvalue(L, 4);
	else
		luaenv_new_env(L);
	if (lua_setupvalue(L, -2, 1) == NULL)
		lua_pop(L, 1);
	return 1;
}

static int
luaenv_module_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
		if (!(islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == '.'))
			return 0;
	}
	return 1;
}

/* require: modules of scripts/lib only, each in its own environment,
 * cached until its file (or any scripts/lib file) changes. */
static int
sb_require(lua_State *L)
{
	struct luaenv *env = luaenv_from(L);
	size_t n, len, i;
	const char *name = luaL_checklstring(L, 1, &n);
	char rel[72], path[PATH_MAX], chunk[96], *src;
	struct stat st;
	int rc;

	if (!luaenv_module_name_ok(name, n))
		return luaL_error(L,
		                  "require: bad module name '%s' (only "
		                  "scripts/lib modules, named [a-z0-9_.])",
		                  name);
	lua_settop(L, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_loaded);
	lua_getfield(L, 2, name);
	if (lua_touserdata(L, 3) == &luaenv_key_loading)
		return luaL_error(L, "require: module '%s' requires itself",
		                  name);
	if (!lua_isnil(L, 3))
		return 1;
	lua_pop(L, 1);
	for (i = 0; i <= n; i++)
		rel[i] = name[i] == '.' ? '/' : name[i];
	if ((size_t)snprintf(path, sizeof(path), "%s/lib/%s.lua",
	                     env->scripts_dir, rel) >= sizeof(path))
		return luaL_error(L, "require: path too long");
	if (luaenv_read_file(path, LUAENV_MAX_SCRIPT, &src, &len, &st) < 0)
		return luaL_error(L,
		                  "require: module '%s' not found in "
		                  "scripts/lib",
		                  name);
	snprintf(chunk, sizeof(chunk), "=scripts/lib/%s.lua", rel);
	rc = luaL_loadbufferx(L, src, len, chunk, "t");
	free(src);
	if (rc != LUA_OK)
		return lua_error(L);
	luaenv_new_env(L);
	lua_setupvalue(L, -2, 1);
	lua_pushlightuserdata(L, (void *)&luaenv_key_loading);
	lua_setfield(L, 2, name);
	lua_pushvalue(L, 1);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		lua_pushnil(L);
		lua_setfield(L, 2, name);
		return lua_error(L);
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name);
	luaenv_watch(env, &luaenv_key_loaded, name, path, &st, 1);
	return 1;
}

/* os.time() and os.date() read the host clock (tests can shift it). */
static int
sb_os_time(lua_State *L)
{
	struct luaenv *env = luaenv_from(L);

	if (lua_isnoneornil(L, 1) && env->now != NULL) {
		lua_pushinteger(L, (lua_Integer)env->now());
		return 1;
	}
	return luaenv_call_orig(L);
}

static int
sb_os_date(lua_State *L)
{
	struct luaenv *env = luaenv_from(L);

	if (lua_isnoneornil(L, 2) && env->now != NULL) {
		lua_settop(L, 1);
		if (lua_isnil(L, 1)) {
			lua_pop(L, 1);
			lua_pushliteral(L, "%c");
		}
		lua_pushinteger(L, (lua_Integer)env->now());
	}
	return luaenv_call_orig(L);
}

void
luaenv_wrap(lua_State *L, int lib, const char *name, lua_CFunction fn,
            int named)
{
	lua_getfield(L, lib, name);
	if (named)
		lua_pushstring(L, name);
	lua_pushcclosure(L, fn, named ? 2 : 1);
	lua_setfield(L, lib, name);
}

int
luaenv_setup(lua_State *L)
{
	static const char *const base_keep[] = {
	    "assert",   "error",    "getmetatable", "ipairs", "next",
	    "pairs",    "pcall",    "rawequal",     "rawget", "rawlen",
	    "select",   "tonumber", "tostring",     "type",   "xpcall",
	    "_VERSION", NULL};
	static const char *const os_keep[] = {"clock", "difftime", NULL};
	int G, lib, i;

	luaL_checkversion(L);
	lua_newtable(L);
	G = lua_gettop(L);

	luaL_requiref(L, LUA_GNAME, luaopen_base, 0);
	lib = lua_gettop(L);
	for (i = 0; base_keep[i] != NULL; i++) {
		lua_getfield(L, lib, base_keep[i]);
		lua_setfield(L, G, base_keep[i]);
	}
	luaenv_wrap(L, lib, "setmetatable", sb_setmetatable, 0);
	luaenv_wrap(L, lib, "rawset", sb_rawset, 0);
	luaenv_wrap(L, lib, "collectgarbage", sb_collectgarbage, 0);
	lua_getfield(L, lib, "setmetatable");
	lua_setfield(L, G, "setmetatable");
	lua_getfield(L, lib, "rawset");
	lua_setfield(L, G, "rawset");
	lua_getfield(L, lib, "collectgarbage");
	lua_setfield(L, G, "collectgarbage");
	lua_pushcfunction(L, sb_load);
	lua_setfield(L, G, "load");
	lua_pushcfunction(L, sb_require);
	lua_setfield(L, G, "require");
	lua_pop(L, 1);

	/* string: the guards go into the real table, which the string
	 * metatable's __index (("x"):find) uses too. */
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
	lib = lua_gettop(L);
	luaenv_guard_string(L, lib);
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	luaenv_readonly(L);
	lua_setfield(L, G, "string");

	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
	lib = lua_gettop(L);
	luaenv_guard_table(L, lib);
	luaenv_readonly(L);
	lua_setfield(L, G, "table");

	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
	luaenv_readonly(L);
	lua_setfield(L, G, "math");

	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
	lib = lua_gettop(L);
	luaenv_guard_utf8(L, lib);
	luaenv_readonly(L);
	lua_setfield(L, G, "utf8");

	luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
	lib = lua_gettop(L);
	lua_newtable(L);
	for (i = 0; os_keep[i] != NULL; i++) {
		lua_getfield(L, lib, os_keep[i]);
		lua_setfield(L, -2, os_keep[i]);
	}
	lua_getfield(L, lib, "time");
	lua_pushcclosure(L, sb_os_time, 1);
	lua_setfield(L, -2, "time");
	lua_getfield(L, lib, "date");
	lua_pushcclosure(L, sb_os_date, 1);
	lua_setfield(L, -2, "date");
	lua_remove(L, lib);
	luaenv_readonly(L);
	lua_setfield(L, G, "os");

	lua_newtable(L);
	luaenv_push_null(L);
	lua_setfield(L, -2, "null");
	lua_pushcfunction(L, render_lua_escape);
	lua_setfield(L, -2, "escape");
	lua_pushcfunction(L, luaenv_jx_array);
	lua_setfield(L, -2, "array");
	lua_pushcfunction(L, luaenv_jx_object);
	lua_setfield(L, -2, "object");
	luaenv_readonly(L);
	lua_setfield(L, G, "jx");

	lua_createtable(L, 0, 2);
	lua_pushvalue(L, G);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &luaenv_key_envmt);
	luaenv_json_setup(L);
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &luaenv_key_loaded);

	/* The real global table (a chunk's _ENV unless we set one) becomes
	 * a read-only view of G; the full base library goes away. */
	lua_pushvalue(L, G);
	luaenv_readonly(L);
	lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	return 0;
}
