/*
 * luaenv_int.h — what the files of the Lua sandbox share, and nobody
 * else includes: the state structure and the helpers one file gives the
 * others. lua.c owns the state, budget and reload; luasandbox.c the
 * globals scripts see; luaguard.c the charges for C library loops;
 * luajson.c the JSON conversion. Everything public is in luaenv.h.
 */
#ifndef JX_LUAENV_INT_H
#define JX_LUAENV_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <lua.h>

#include "luaenv.h"

/* The largest script or scripts/lib module read. */
#define LUAENV_MAX_SCRIPT (1 << 20)

struct luaenv_watch;

/* Per state; the lua_State's extra space points to it (luaenv_from). */
struct luaenv {
	lua_State *L;
	char *scripts_dir, *templates_dir;
	struct luaenv_plugin_templates *plugin_tpl; /* owned copies */
	size_t nplugin_tpl;
	size_t mem_limit, mem_used;
	int64_t instructions; /* the per-call budget */
	int64_t budget;       /* what the running call has left */
	int64_t time_limit_ms;
	struct timespec deadline;
	int depth;   /* nesting of luaenv_pcall */
	int stopped; /* enum luaenv_stop of the running call */
	int64_t (*now)(void);
	time_t last_refresh;
	unsigned rules_gen;
	unsigned files_gen; /* luaenv_files_generation at the last refresh */
	struct luaenv_watch *watch;
	size_t nwatch, capwatch;
	void *attach;
	void (*attach_free)(void *);
	char last_error[2048];
};

/* ---- lua.c ---------------------------------------------------------- */

/* The budget the running call has left (the whole per-call budget when
 * no call runs). */
int64_t luaenv_available(const struct luaenv *env);

/* ---- luasandbox.c --------------------------------------------------- */

/* Builds the sandbox globals; a lua_CFunction for protected mode,
 * called once by luaenv_new (argument: the env). */
int luaenv_setup(lua_State *L);
/* Calls the original library function kept as upvalue 1 of a wrapper. */
int luaenv_call_orig(lua_State *L);
/* Replaces t[name] (t at index lib) by fn with the original as upvalue
 * 1, plus the name as upvalue 2 when named is set. */
void luaenv_wrap(lua_State *L, int lib, const char *name, lua_CFunction fn,
                 int named);

/* ---- luaguard.c ----------------------------------------------------- */

/* Wrap the functions of the library table at index lib that loop in C
 * in guards charging their work to the running call's budget. */
void luaenv_guard_string(lua_State *L, int lib);
void luaenv_guard_table(lua_State *L, int lib);
void luaenv_guard_utf8(lua_State *L, int lib);

/* ---- luajson.c ------------------------------------------------------ */

/* Pushes jx.null. */
void luaenv_push_null(lua_State *L);
/* jx.array(t) and jx.object(t). */
int luaenv_jx_array(lua_State *L);
int luaenv_jx_object(lua_State *L);
/* Registers the metatables marking JSON arrays and objects (protected
 * code: raises on memory exhaustion). */
void luaenv_json_setup(lua_State *L);

/* Pushes a fresh environment for a district's rule chunk: lookups fall
 * back to the default rules table at index defaults, then the sandbox. */
void luaenv_new_district_env(lua_State *L, int defaults);

#endif
