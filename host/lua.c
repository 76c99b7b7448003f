/*
 * lua.c — the per-worker Lua sandbox (see luaenv.h): the state and its
 * memory cap, the instruction budget, the guards on C library functions
 * the budget cannot see into, require of scripts/lib, JSON conversion,
 * hot reload of watched files, and the default rules.
 */
#include "luaenv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "render.h"

/* The count hook runs every this many VM instructions. */
#define LUAENV_HOOK_STEP 1000
/*
 * What costs one instruction of budget: two steps of the pattern matcher
 * (measured: the slowest pattern call the guard lets through then takes
 * less time than the whole budget spent in VM instructions), or sixteen
 * bytes copied.
 */
#define LUAENV_STEPS_PER_INSN 2
#define LUAENV_BYTES_PER_INSN 16
#define LUAENV_MAX_PATTERN 1024
#define LUAENV_MAX_SCRIPT (1 << 20)
#define LUAENV_JSON_DEPTH 64

/* Registry keys (their addresses are the keys). */
static const char luaenv_key_envmt;    /* metatable of chunk environments */
static const char luaenv_key_loaded;   /* scripts/lib modules by name */
static const char luaenv_key_rules;    /* the default rules table */
static const char luaenv_key_array;    /* metatable marking JSON arrays */
static const char luaenv_key_object;   /* metatable marking JSON objects */
static const char luaenv_key_readonly; /* set in read-only proxies' mt */
static const char luaenv_key_null;     /* jx.null */
static const char luaenv_key_loading;  /* a module being loaded */

enum luaenv_stop { LUAENV_RUNNING, LUAENV_OVER_BUDGET, LUAENV_OVER_TIME };

struct luaenv_watch {
	const void *cache; /* registry key of the cache table */
	char *name, *path;
	int whole, exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct luaenv {
	lua_State *L;
	char *scripts_dir, *templates_dir;
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
	struct luaenv_watch *watch;
	size_t nwatch, capwatch;
	void *attach;
	void (*attach_free)(void *);
	char last_error[2048];
};

/* Bumped by SIGHUP; each state compares it with its own copy. */
static atomic_uint luaenv_rules_generation;

static void luaenv_hook(lua_State *L, lua_Debug *ar);

/* ---- the state: allocator, budget, protected calls ------------------- */

struct luaenv *
luaenv_from(lua_State *L)
{
	return *(struct luaenv **)lua_getextraspace(L);
}

lua_State *
luaenv_state(struct luaenv *env)
{
	return env->L;
}

const char *
luaenv_templates_dir(struct luaenv *env)
{
	return env->templates_dir;
}

size_t
luaenv_memory_limit(struct luaenv *env)
{
	return env->mem_limit;
}

const char *
luaenv_last_error(struct luaenv *env)
{
	return env->last_error;
}

void *
luaenv_attachment(struct luaenv *env)
{
	return env->attach;
}

void
luaenv_attach(struct luaenv *env, void *ptr, void (*free_fn)(void *))
{
	env->attach = ptr;
	env->attach_free = free_fn;
}

/* Counts every byte Lua holds and refuses to grow past the cap; Lua then
 * collects garbage and retries once before raising "not enough memory". */
static void *
luaenv_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct luaenv *env = ud;
	size_t old = ptr != NULL ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		env->mem_used -= old;
		return NULL;
	}
	if (nsize > old && nsize - old > env->mem_limit - env->mem_used)
		return NULL;
	p = realloc(ptr, nsize);
	if (p == NULL)
		return NULL;
	env->mem_used = env->mem_used - old + nsize;
	return p;
}

static int
luaenv_past_deadline(const struct luaenv *env)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return now.tv_sec > env->deadline.tv_sec ||
	       (now.tv_sec == env->deadline.tv_sec &&
	        now.tv_nsec >= env->deadline.tv_nsec);
}

/*
 * Stops the running call: from now on the hook fires at every instruction
 * and raises again, so a script that catches the error with pcall fails
 * at its very next instruction, until the next outermost luaenv_pcall.
 */
static void
luaenv_stop(lua_State *L, struct luaenv *env, int why)
{
	if (env->stopped != LUAENV_RUNNING)
		return;
	env->stopped = why;
	env->budget = 0;
	lua_sethook(L, luaenv_hook, LUA_MASKCOUNT, 1);
}

static void
luaenv_push_reason(lua_State *L, const struct luaenv *env)
{
	if (env->stopped == LUAENV_OVER_TIME)
		lua_pushfstring(L, "time limit of %I ms exceeded",
		                (lua_Integer)env->time_limit_ms);
	else
		lua_pushfstring(L, "instruction budget of %I exceeded",
		                (lua_Integer)env->instructions);
}

static void
luaenv_hook(lua_State *L, lua_Debug *ar)
{
	struct luaenv *env = luaenv_from(L);

	if (env->stopped == LUAENV_RUNNING) {
		env->budget -= LUAENV_HOOK_STEP;
		if (env->budget > 0 && !luaenv_past_deadline(env))
			return;
		luaenv_stop(L, env,
		            env->budget > 0 ? LUAENV_OVER_TIME
		                            : LUAENV_OVER_BUDGET);
	}
	/* A count hook runs inside the Lua function itself: name it. */
	lua_getinfo(L, "Sl", ar);
	lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
	luaenv_push_reason(L, env);
	lua_concat(L, 2);
	lua_error(L);
}

static int64_t
luaenv_available(const struct luaenv *env)
{
	return env->depth > 0 ? env->budget : env->instructions;
}

void
luaenv_charge(lua_State *L, int64_t cost)
{
	struct luaenv *env = luaenv_from(L);

	if (env->depth == 0 || cost <= 0)
		return;
	if (env->stopped == LUAENV_RUNNING && cost < env->budget) {
		env->budget -= cost;
		return;
	}
	luaenv_stop(L, env, LUAENV_OVER_BUDGET);
	luaL_where(L, 1);
	luaenv_push_reason(L, env);
	lua_concat(L, 2);
	lua_error(L);
}

static void
luaenv_charge_d(lua_State *L, double cost)
{
	luaenv_charge(L, cost >= 4e18 ? INT64_MAX : (int64_t)cost);
}

/* Whether msg's first line carries a "chunk:line:" position. */
static int
luaenv_has_position(const char *msg)
{
	const char *p;

	for (p = msg; *p != '\0' && *p != '\n'; p++) {
		const char *q = p + 1;

		if (*p != ':' || !isdigit((unsigned char)*q))
			continue;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q == ':')
			return 1;
	}
	return 0;
}

/* The message handler: a string message with a position and traceback. */
static int
luaenv_msgh(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	lua_Debug ar;
	int level;

	if (msg == NULL) {
		if (luaL_callmeta(L, 1, "__tostring") &&
		    lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)",
			                      luaL_typename(L, 1));
	}
	if (!luaenv_has_position(msg)) {
		for (level = 1; lua_getstack(L, level, &ar); level++) {
			lua_getinfo(L, "Sl", &ar);
			if (ar.currentline > 0) {
				msg = lua_pushfstring(L, "%s:%d: %s",
				                      ar.short_src,
				                      ar.currentline, msg);
				break;
			}
		}
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* Copies the first line of msg into err. */
static void
luaenv_copy_line(char *err, size_t errlen, const char *msg)
{
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	n = strcspn(msg, "\n");
	if (n >= errlen)
		n = errlen - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

/* The message of a failed call (at the top of the stack), without
 * converting anything: we may be outside protected code. */
static const char *
luaenv_error_text(struct luaenv *env, int rc, char *tmp, size_t tmplen)
{
	if (rc == LUA_ERRMEM) {
		snprintf(tmp, tmplen,
		         "not enough memory (the Lua memory cap of %zu bytes "
		         "is reached)",
		         env->mem_limit);
		return tmp;
	}
	if (lua_type(env->L, -1) == LUA_TSTRING)
		return lua_tostring(env->L, -1);
	return "(error object is not a string)";
}

int
luaenv_pcall(struct luaenv *env, int nargs, int nresults, char *err,
             size_t errlen)
{
	lua_State *L = env->L;
	int base = lua_gettop(L) - nargs, outer = env->depth == 0, rc;
	char tmp[128];

	if (!lua_checkstack(L, LUA_MINSTACK)) {
		lua_pop(L, nargs + 1);
		luaenv_copy_line(err, errlen, "Lua stack exhausted");
		return -1;
	}
	lua_pushcfunction(L, luaenv_msgh);
	lua_insert(L, base);
	if (outer) {
		env->budget = env->instructions;
		env->stopped = LUAENV_RUNNING;
		clock_gettime(CLOCK_MONOTONIC_COARSE, &env->deadline);
		env->deadline.tv_sec += env->time_limit_ms / 1000;
		env->deadline.tv_nsec += (env->time_limit_ms % 1000) * 1000000;
		if (env->deadline.tv_nsec >= 1000000000) {
			env->deadline.tv_sec++;
			env->deadline.tv_nsec -= 1000000000;
		}
		lua_sethook(L, luaenv_hook, LUA_MASKCOUNT, LUAENV_HOOK_STEP);
	}
	env->depth++;
	rc = lua_pcall(L, nargs, nresults, base);
	env->depth--;
	lua_remove(L, base);
	if (outer)
		lua_sethook(L, NULL, 0, 0);
	if (rc == LUA_OK)
		return 0;
	snprintf(env->last_error, sizeof(env->last_error), "%s",
	         luaenv_error_text(env, rc, tmp, sizeof(tmp)));
	luaenv_copy_line(err, errlen, env->last_error);
	lua_pop(L, 1);
	/* What a failed script left behind is garbage now: give the next
	 * request on this worker the whole cap back. */
	if (outer && (rc == LUA_ERRMEM || env->mem_used > env->mem_limit / 2))
		lua_gc(L, LUA_GCCOLLECT);
	return -1;
}

/* Runs fn with ud as its light userdata argument in protected mode (no
 * budget: fn runs no Lua code but through luaenv_pcall). */
static int
luaenv_protect(struct luaenv *env, lua_CFunction fn, void *ud, int nresults,
               char *err, size_t errlen)
{
	lua_State *L = env->L;
	char tmp[128];
	int rc;

	if (!lua_checkstack(L, 3)) {
		luaenv_copy_line(err, errlen, "Lua stack exhausted");
		return -1;
	}
	lua_pushcfunction(L, fn);
	lua_pushlightuserdata(L, ud);
	rc = lua_pcall(L, 1, nresults, 0);
	if (rc == LUA_OK)
		return 0;
	luaenv_copy_line(err, errlen,
	                 luaenv_error_text(env, rc, tmp, sizeof(tmp)));
	lua_pop(L, 1);
	return -1;
}

/* ---- the sandbox's own functions ------------------------------------ */

/* Calls the original library function kept as upvalue 1 of a guard. */
static int
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

static int
jx_array(lua_State *L)
{
	return jx_mark(L, &luaenv_key_array, &luaenv_key_object);
}

static int
jx_object(lua_State *L)
{
	return jx_mark(L, &luaenv_key_object, &luaenv_key_array);
}

/* ---- guards on C functions the count hook cannot interrupt ---------- */

/*
 * The pattern matcher backtracks inside one C call: `("a*"):rep(6).."b"`
 * on fifty "a"s takes seconds without a single VM instruction. Before a
 * call we bound its work from the pattern and the subject, charge that
 * bound to the call's budget, and refuse calls no budget could pay for.
 * The bound follows lstrlib's do_match: at each start position, the item
 * after k quantified items is tried at most (product of their choices)
 * times, and a quantified item has at most (its longest run + 1) choices.
 */
struct pat {
	const unsigned char *s; /* the subject, from init */
	size_t n;
	int refine; /* measure runs on the subject instead of assuming n */
};

/* lstrlib's classEnd: the end of the single-char class at p, or NULL if
 * malformed (the real matcher then raises when it gets there). */
static const char *
pat_class_end(const char *p, const char *pe)
{
	if (*p == '%')
		return p + 1 < pe ? p + 2 : NULL;
	if (*p != '[')
		return p + 1;
	p++;
	if (p < pe && *p == '^')
		p++;
	do {
		if (p >= pe)
			return NULL;
		if (*p++ == '%' && p < pe)
			p++;
	} while (p >= pe || *p != ']');
	return p + 1;
}

static int
pat_match_class(int c, int cl)
{
	int res;

	switch (tolower(cl)) {
	case 'a': res = isalpha(c); break;
	case 'c': res = iscntrl(c); break;
	case 'd': res = isdigit(c); break;
	case 'g': res = isgraph(c); break;
	case 'l': res = islower(c); break;
	case 'p': res = ispunct(c); break;
	case 's': res = isspace(c); break;
	case 'u': res = isupper(c); break;
	case 'w': res = isalnum(c); break;
	case 'x': res = isxdigit(c); break;
	default: return cl == c;
	}
	return isupper(cl) ? !res : res != 0;
}

/* lstrlib's matchbracketclass; p at '[', ec at its ']'. */
static int
pat_match_bracket(int c, const char *p, const char *ec)
{
	int sig = 1;

	if (p[1] == '^') {
		sig = 0;
		p++;
	}
	while (++p < ec) {
		if (*p == '%') {
			p++;
			if (pat_match_class(c, (unsigned char)*p))
				return sig;
		} else if (p[1] == '-' && p + 2 < ec) {
			p += 2;
			if ((unsigned char)p[-2] <= c && c <= (unsigned char)*p)
				return sig;
		} else if ((unsigned char)*p == c) {
			return sig;
		}
	}
	return !sig;
}

static void
pat_set(const char *p, const char *ep, unsigned char set[256])
{
	int c;

	for (c = 0; c < 256; c++) {
		switch (*p) {
		case '.': set[c] = 1; break;
		case '%':
			set[c] = pat_match_class(c, (unsigned char)p[1]);
			break;
		case '[': set[c] = pat_match_bracket(c, p, ep - 1); break;
		default: set[c] = (unsigned char)*p == c; break;
		}
	}
}

static double
pat_longest_run(const struct pat *pt, const unsigned char set[256])
{
	size_t i, run = 0, best = 0;

	for (i = 0; i < pt->n; i++) {
		run = set[pt->s[i]] ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return (double)best;
}

static double
pat_count(const struct pat *pt, const unsigned char set[256])
{
	size_t i, count = 0;

	for (i = 0; i < pt->n; i++)
		count += set[pt->s[i]];
	return (double)count;
}

/* An upper bound of the matcher's steps for pattern p (without '^'). */
static double
pat_cost(const char *p, size_t lp, const struct pat *pt, int anchor)
{
	const char *pe = p + lp, *ep;
	double n = (double)pt->n, mult = 1, per = 0, scan = 0;
	double starts = anchor ? 1 : n + 1;
	int first = !anchor; /* may the first item narrow the starts? */
	unsigned char set[256];

	while (p < pe) {
		char q;

		if (*p == '(' || *p == ')') {
			p += *p == '(' && p + 1 < pe && p[1] == ')' ? 2 : 1;
			per += mult;
			continue;
		}
		if (*p == '$' && p + 1 == pe)
			break;
		if (*p == '%' && p + 1 < pe && p[1] == 'b') {
			if (pe - p < 4)
				break;
			p += 4;
			per += mult * (n + 1);
			first = 0;
			continue;
		}
		if (*p == '%' && p + 1 < pe && p[1] == 'f') {
			p += 2;
			if (p >= pe || *p != '[' ||
			    (ep = pat_class_end(p, pe)) == NULL)
				break;
			p = ep;
			per += mult;
			first = 0;
			continue;
		}
		if (*p == '%' && p + 1 < pe && isdigit((unsigned char)p[1])) {
			p += 2;
			per += mult * (n + 1);
			first = 0;
			continue;
		}
		if ((ep = pat_class_end(p, pe)) == NULL)
			break;
		q = ep < pe ? *ep : '\0';
		if (q == '*' || q == '+' || q == '-') {
			double run = n;

			if (pt->refine) {
				pat_set(p, ep, set);
				run = pat_longest_run(pt, set);
				scan += n;
				if (first && q == '+') {
					starts = pat_count(pt, set);
					scan += n;
				}
			}
			per += mult * (run + 2);
			mult *= run + 1;
			p = ep + 1;
		} else if (q == '?') {
			per += mult;
			mult *= 2;
			p = ep + 1;
		} else {
			if (pt->refine && first) {
				pat_set(p, ep, set);
				starts = pat_count(pt, set);
				scan += n;
			}
			per += mult;
			p = ep;
		}
		first = 0;
		if (mult > 1e30)
			mult = 1e30;
	}
	return n + scan + starts * (per + 1);
}

/* A plain find is memchr for the first byte, then memcmp. */
static double
pat_plain_cost(const char *p, size_t lp, const struct pat *pt)
{
	double starts;
	size_t i;

	if (lp == 0 || lp > pt->n)
		return 1;
	starts = (double)(pt->n - lp + 1);
	if (pt->refine) {
		starts = 0;
		for (i = 0; i + lp <= pt->n; i++)
			starts += pt->s[i] == (unsigned char)p[0];
	}
	return (double)pt->n + starts * (double)lp;
}

static int
pat_nospecials(const char *p, size_t lp)
{
	size_t i;

	for (i = 0; i < lp; i++)
		if (p[i] != '\0' && strchr("^$*+?.([%-", p[i]) != NULL)
			return 0;
	return 1;
}

enum pat_mode { PAT_PLAIN, PAT_ANCHORABLE, PAT_UNANCHORED };

/* lstrlib's posrelatI - 1: the 0-based start, possibly past the end. */
static size_t
guard_init(lua_State *L, int arg, size_t len)
{
	lua_Integer pos = luaL_optinteger(L, arg, 1);

	if (pos > 0)
		return (size_t)pos - 1;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 0;
	return len + (size_t)pos;
}

static void
guard_pattern(lua_State *L, const char *what, const char *s, size_t ls,
              size_t init, const char *p, size_t lp, int mode, double per_match)
{
	struct luaenv *env = luaenv_from(L);
	double avail = (double)luaenv_available(env) * LUAENV_STEPS_PER_INSN;
	double full = (double)env->instructions * LUAENV_STEPS_PER_INSN;
	struct pat pt;
	double steps;
	int anchor = 0;

	if (lp > LUAENV_MAX_PATTERN)
		luaL_error(L, "%s: pattern longer than %d bytes", what,
		           LUAENV_MAX_PATTERN);
	if (init > ls)
		return; /* nothing to match: it returns at once */
	pt.s = (const unsigned char *)s + init;
	pt.n = ls - init;
	pt.refine = 0;
	if (mode == PAT_ANCHORABLE && lp > 0 && *p == '^') {
		anchor = 1;
		p++;
		lp--;
	}
	for (;;) {
		steps = mode == PAT_PLAIN ? pat_plain_cost(p, lp, &pt)
		                          : pat_cost(p, lp, &pt, anchor);
		steps += per_match * ((double)pt.n + 1);
		/* Too dear on the pattern alone: measure the subject (one
		 * or two scans per item), if we can afford that. */
		if (steps <= avail || pt.refine ||
		    (double)pt.n * (double)(2 * lp + 2) > avail)
			break;
		pt.refine = 1;
	}
	if (steps > full)
		luaL_error(L,
		           "%s: pattern too complex for a subject of %I bytes "
		           "(it could take %f matching steps); simplify the "
		           "pattern or match a shorter string",
		           what, (lua_Integer)pt.n, steps);
	luaenv_charge_d(L, steps / LUAENV_STEPS_PER_INSN);
}

static int
guard_find(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = guard_init(L, 3, ls);
	int plain = lua_toboolean(L, 4) || pat_nospecials(p, lp);

	guard_pattern(L, "string.find", s, ls, init, p, lp,
	              plain ? PAT_PLAIN : PAT_ANCHORABLE, 0);
	return luaenv_call_orig(L);
}

static int
guard_match(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);

	guard_pattern(L, "string.match", s, ls, guard_init(L, 3, ls), p, lp,
	              PAT_ANCHORABLE, 0);
	return luaenv_call_orig(L);
}

/* In Lua 5.4 a '^' does not anchor gmatch. The whole iteration is
 * charged here, since each start position is tried at most once. */
static int
guard_gmatch(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);

	guard_pattern(L, "string.gmatch", s, ls, guard_init(L, 3, ls), p, lp,
	              PAT_UNANCHORED, 0);
	return luaenv_call_orig(L);
}

static int
guard_gsub(lua_State *L)
{
	size_t ls, lp, lr = 0;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);

	if (lua_type(L, 3) == LUA_TSTRING)
		lua_tolstring(L, 3, &lr);
	guard_pattern(L, "string.gsub", s, ls, 0, p, lp, PAT_ANCHORABLE,
	              (double)lr);
	return luaenv_call_orig(L);
}

/* string.rep: refuse what the cap would refuse anyway, before the loop
 * (which for an empty string would run n times copying nothing). */
static int
guard_rep(lua_State *L)
{
	struct luaenv *env = luaenv_from(L);
	size_t l, lsep;
	lua_Integer n;
	double total;

	luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n <= 0 || l + lsep == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	total = (double)n * (double)(l + lsep);
	if (total > (double)env->mem_limit)
		return luaL_error(L,
		                  "string.rep: a result of %f bytes exceeds "
		                  "the memory cap of %I bytes",
		                  total, (lua_Integer)env->mem_limit);
	/* Per copy a small memcpy, cheaper than a matcher step. */
	luaenv_charge_d(L, (double)n / 16 + total / LUAENV_BYTES_PER_INSN);
	return luaenv_call_orig(L);
}

/* Functions linear in the length of their string arguments. */
static int
guard_linear(lua_State *L)
{
	int i, top = lua_gettop(L);
	double total = 0;
	size_t len;

	for (i = 1; i <= top; i++) {
		if (lua_type(L, i) == LUA_TSTRING) {
			lua_tolstring(L, i, &len);
			total += (double)len;
		}
	}
	luaenv_charge_d(L, 1 + total / LUAENV_BYTES_PER_INSN);
	return luaenv_call_orig(L);
}

static double
guard_rawlen(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TTABLE ? (double)lua_rawlen(L, idx) : 0;
}

/* table functions that loop in C over a range the script chooses. */
static int
guard_table(lua_State *L)
{
	const char *fn = lua_tostring(L, lua_upvalueindex(2));
	double cost = 0, n = guard_rawlen(L, 1);

	if (strcmp(fn, "move") == 0) {
		double f = (double)luaL_checkinteger(L, 2);
		double e = (double)luaL_checkinteger(L, 3);

		cost = e - f + 1;
	} else if (strcmp(fn, "concat") == 0 || strcmp(fn, "unpack") == 0) {
		int first = fn[0] == 'c' ? 3 : 2;
		double i = (double)luaL_optinteger(L, first, 1);
		double j = lua_isnoneornil(L, first + 1)
		               ? n
		               : (double)luaL_checkinteger(L, first + 1);

		cost = j - i + 1;
	} else if (strcmp(fn, "insert") == 0 && lua_gettop(L) >= 3) {
		cost = n + 1 - (double)luaL_checkinteger(L, 2);
	} else if (strcmp(fn, "remove") == 0 && lua_gettop(L) >= 2) {
		cost = n - (double)luaL_optinteger(L, 2, 0);
	} else if (strcmp(fn, "sort") == 0) {
		cost = n * (log2(n + 1) + 1) * 2;
	}
	luaenv_charge_d(L, 1 + (cost > 0 ? cost : 0));
	return luaenv_call_orig(L);
}

/* Replaces t[name] (t at index lib) by fn with the original as upvalue
 * 1, plus the name as upvalue 2 when named is set. */
static void
luaenv_wrap(lua_State *L, int lib, const char *name, lua_CFunction fn,
            int named)
{
	lua_getfield(L, lib, name);
	if (named)
		lua_pushstring(L, name);
	lua_pushcclosure(L, fn, named ? 2 : 1);
	lua_setfield(L, lib, name);
}

/* Builds the sandbox globals in protected mode (argument: the env). */
static int
luaenv_setup(lua_State *L)
{
	static const char *const base_keep[] = {
	    "assert",   "error",    "getmetatable", "ipairs", "next",
	    "pairs",    "pcall",    "rawequal",     "rawget", "rawlen",
	    "select",   "tonumber", "tostring",     "type",   "xpcall",
	    "_VERSION", NULL};
	static const char *const pattern_fns[] = {"find", "match", "gmatch",
	                                          "gsub"};
	static const lua_CFunction pattern_guards[] = {
	    guard_find, guard_match, guard_gmatch, guard_gsub};
	static const char *const string_linear[] = {
	    "upper", "lower", "reverse", "sub", "format", "byte", NULL};
	static const char *const table_fns[] = {
	    "concat", "insert", "remove", "move", "sort", "unpack", NULL};
	static const char *const utf8_linear[] = {"len", "offset", "codepoint",
	                                          NULL};
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
	for (i = 0; i < 4; i++)
		luaenv_wrap(L, lib, pattern_fns[i], pattern_guards[i], 0);
	luaenv_wrap(L, lib, "rep", guard_rep, 0);
	for (i = 0; string_linear[i] != NULL; i++)
		luaenv_wrap(L, lib, string_linear[i], guard_linear, 0);
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	luaenv_readonly(L);
	lua_setfield(L, G, "string");

	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
	lib = lua_gettop(L);
	for (i = 0; table_fns[i] != NULL; i++)
		luaenv_wrap(L, lib, table_fns[i], guard_table, 1);
	luaenv_readonly(L);
	lua_setfield(L, G, "table");

	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
	luaenv_readonly(L);
	lua_setfield(L, G, "math");

	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
	lib = lua_gettop(L);
	for (i = 0; utf8_linear[i] != NULL; i++)
		luaenv_wrap(L, lib, utf8_linear[i], guard_linear, 0);
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
	lua_pushlightuserdata(L, (void *)&luaenv_key_null);
	lua_setfield(L, -2, "null");
	lua_pushcfunction(L, render_lua_escape);
	lua_setfield(L, -2, "escape");
	lua_pushcfunction(L, jx_array);
	lua_setfield(L, -2, "array");
	lua_pushcfunction(L, jx_object);
	lua_setfield(L, -2, "object");
	luaenv_readonly(L);
	lua_setfield(L, G, "jx");

	lua_createtable(L, 0, 2);
	lua_pushvalue(L, G);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &luaenv_key_envmt);
	for (i = 0; i < 2; i++) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, i == 0 ? "jx.array" : "jx.object");
		lua_setfield(L, -2, "__name");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		lua_rawsetp(L, LUA_REGISTRYINDEX,
		            i == 0 ? &luaenv_key_array : &luaenv_key_object);
	}
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

/* ---- JSON ------------------------------------------------------------ */

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

/* ---- files and hot reload -------------------------------------------- */

int
luaenv_read_file(const char *path, size_t max, char **data, size_t *len,
                 struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), saved;
	char *buf = NULL;
	size_t size, got = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uintmax_t)st->st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	size = (size_t)st->st_size;
	if ((buf = malloc(size + 1)) == NULL)
		goto fail;
	while (got < size) {
		r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -1;
}

static void
luaenv_stamp(struct luaenv_watch *w, const struct stat *st)
{
	w->exists = st != NULL;
	if (st == NULL)
		return;
	w->dev = st->st_dev;
	w->ino = st->st_ino;
	w->size = st->st_size;
	w->mtime = st->st_mtim;
}

void
luaenv_watch(struct luaenv *env, const void *cache, const char *name,
             const char *path, const struct stat *st, int whole)
{
	struct luaenv_watch *w;
	size_t i;

	for (i = 0; i < env->nwatch; i++) {
		w = &env->watch[i];
		if (w->cache == cache && strcmp(w->name, name) == 0) {
			luaenv_stamp(w, st);
			return;
		}
	}
	if (env->nwatch == env->capwatch) {
		size_t cap = env->capwatch ? 2 * env->capwatch : 32;

		w = realloc(env->watch, cap * sizeof(*w));
		if (w == NULL)
			return; /* then it just won't reload */
		env->watch = w;
		env->capwatch = cap;
	}
	w = &env->watch[env->nwatch];
	w->cache = cache;
	w->whole = whole;
	w->name = strdup(name);
	w->path = strdup(path);
	if (w->name == NULL || w->path == NULL) {
		free(w->name);
		free(w->path);
		return;
	}
	luaenv_stamp(w, st);
	env->nwatch++;
}

static void
luaenv_unwatch(struct luaenv *env, size_t i)
{
	free(env->watch[i].name);
	free(env->watch[i].path);
	env->watch[i] = env->watch[--env->nwatch];
}

static int
luaenv_watch_changed(const struct luaenv_watch *w)
{
	struct stat st;
	int exists = stat(w->path, &st) == 0;

	if (exists != w->exists)
		return 1;
	return exists &&
	       (st.st_dev != w->dev || st.st_ino != w->ino ||
	        st.st_size != w->size || st.st_mtim.tv_sec != w->mtime.tv_sec ||
	        st.st_mtim.tv_nsec != w->mtime.tv_nsec);
}

static int
luaenv_refresh_run(lua_State *L)
{
	struct luaenv *env = lua_touserdata(L, 1);
	unsigned gen = atomic_load(&luaenv_rules_generation);
	size_t i = 0, j;

	while (i < env->nwatch) {
		struct luaenv_watch *w = &env->watch[i];
		const void *cache = w->cache;

		if (!luaenv_watch_changed(w)) {
			i++;
			continue;
		}
		if (w->whole) {
			/* Modules hold each other (and the rules hold
			 * them): start them all afresh. */
			lua_newtable(L);
			lua_rawsetp(L, LUA_REGISTRYINDEX, cache);
			lua_pushnil(L);
			lua_rawsetp(L, LUA_REGISTRYINDEX, &luaenv_key_rules);
			for (j = env->nwatch; j-- > 0;)
				if (env->watch[j].cache == cache)
					luaenv_unwatch(env, j);
			i = 0;
			continue;
		}
		if (lua_rawgetp(L, LUA_REGISTRYINDEX, cache) == LUA_TTABLE) {
			lua_pushnil(L);
			lua_setfield(L, -2, w->name);
		}
		lua_pop(L, 1);
		luaenv_unwatch(env, i);
	}
	if (gen != env->rules_gen) {
		env->rules_gen = gen;
		lua_pushnil(L);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &luaenv_key_rules);
	}
	return 0;
}

void
luaenv_refresh_now(struct luaenv *env)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	env->last_refresh = now.tv_sec;
	luaenv_protect(env, luaenv_refresh_run, env, 0, NULL, 0);
}

void
luaenv_refresh(struct luaenv *env)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec == env->last_refresh)
		return;
	luaenv_refresh_now(env);
}

void
luaenv_reload_rules(void)
{
	atomic_fetch_add(&luaenv_rules_generation, 1);
}

/* ---- loading chunks and the default rules ------------------------------ */

struct luaenv_load_job {
	const char *src, *chunkname;
	size_t len;
};

static int
luaenv_load_run(lua_State *L)
{
	struct luaenv_load_job *job = lua_touserdata(L, 1);
	char name[256];

	/* "=" shows the name as given in messages. */
	if (job->chunkname[0] == '=' || job->chunkname[0] == '@')
		snprintf(name, sizeof(name), "%s", job->chunkname);
	else
		snprintf(name, sizeof(name), "=%s", job->chunkname);
	if (luaL_loadbufferx(L, job->src, job->len, name, "t") != LUA_OK)
		return lua_error(L);
	luaenv_new_env(L);
	lua_setupvalue(L, -2, 1);
	return 1;
}

int
luaenv_load(struct luaenv *env, const char *src, size_t len,
            const char *chunkname, char *err, size_t errlen)
{
	struct luaenv_load_job job = {src, chunkname ? chunkname : "chunk",
	                              len};

	return luaenv_protect(env, luaenv_load_run, &job, 1, err, errlen);
}

/* Pushes the default rules, loading them if needed; raises on failure. */
static void
luaenv_rules(lua_State *L, struct luaenv *env)
{
	static const char chunk[] = "scripts/rules/default.lua";
	char path[PATH_MAX], err[512], *src;
	struct stat st;
	size_t len;
	int rc;

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_rules) == LUA_TTABLE)
		return;
	lua_pop(L, 1);
	snprintf(path, sizeof(path), "%s/rules/default.lua", env->scripts_dir);
	if (luaenv_read_file(path, LUAENV_MAX_SCRIPT, &src, &len, &st) < 0)
		luaL_error(L, "cannot read %s: %s", chunk, strerror(errno));
	rc = luaenv_load(env, src, len, chunk, err, sizeof(err));
	free(src);
	if (rc < 0 || luaenv_pcall(env, 0, 1, err, sizeof(err)) < 0)
		luaL_error(L, "%s", err);
	if (!lua_istable(L, -1))
		luaL_error(L, "%s must return a table", chunk);
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &luaenv_key_rules);
}

static int
luaenv_rules_run(lua_State *L)
{
	luaenv_rules(L, lua_touserdata(L, 1));
	return 1;
}

int
luaenv_push_rules(struct luaenv *env, char *err, size_t errlen)
{
	return luaenv_protect(env, luaenv_rules_run, env, 1, err, errlen);
}

struct luaenv_rule_call {
	struct luaenv *env;
	const char *name;
	const cJSON *args;
	cJSON *result;
};

static int
luaenv_rule_run(lua_State *L)
{
	struct luaenv_rule_call *rc = lua_touserdata(L, 1);
	const cJSON *a;
	char err[512];
	int nargs = 0;

	luaenv_rules(L, rc->env);
	if (lua_getfield(L, -1, rc->name) != LUA_TFUNCTION)
		return luaL_error(L, "the default rules have no function '%s'",
		                  rc->name);
	cJSON_ArrayForEach(a, rc->args)
	{
		luaL_checkstack(L, 2, "too many arguments");
		luaenv_json_push(L, a, 0);
		nargs++;
	}
	if (luaenv_pcall(rc->env, nargs, 1, err, sizeof(err)) < 0)
		return luaL_error(L, "%s", err);
	if ((rc->result = luaenv_to_json(L, -1)) == NULL)
		return luaL_error(L,
		                  "rule '%s' returned a value JSON cannot "
		                  "represent",
		                  rc->name);
	return 0;
}

int
luaenv_call_rule(struct luaenv *env, const char *name, const cJSON *args,
                 cJSON **result, char *err, size_t errlen)
{
	struct luaenv_rule_call rc = {env, name, args, NULL};
	int top = lua_gettop(env->L);

	*result = NULL;
	if (luaenv_protect(env, luaenv_rule_run, &rc, 0, err, errlen) < 0) {
		cJSON_Delete(rc.result);
		lua_settop(env->L, top);
		return -1;
	}
	lua_settop(env->L, top);
	*result = rc.result;
	return 0;
}

/* ---- life cycle ---------------------------------------------------------- */

struct luaenv *
luaenv_new(const struct luaenv_opts *opts)
{
	static const struct luaenv_opts defaults;
	struct luaenv *env = calloc(1, sizeof(*env));

	if (env == NULL)
		return NULL;
	if (opts == NULL)
		opts = &defaults;
	env->scripts_dir =
	    strdup(opts->scripts_dir ? opts->scripts_dir : "scripts");
	env->templates_dir =
	    strdup(opts->templates_dir ? opts->templates_dir : "templates");
	env->instructions =
	    opts->instructions > 0 ? opts->instructions : 10000000;
	env->mem_limit =
	    opts->memory_bytes > 0 ? opts->memory_bytes : (size_t)32 << 20;
	env->time_limit_ms =
	    opts->time_limit_ms > 0 ? opts->time_limit_ms : 10000;
	env->now = opts->now;
	env->rules_gen = atomic_load(&luaenv_rules_generation);
	if (env->scripts_dir == NULL || env->templates_dir == NULL)
		goto fail;
	if ((env->L = lua_newstate(luaenv_alloc, env)) == NULL)
		goto fail;
	*(struct luaenv **)lua_getextraspace(env->L) = env;
	if (luaenv_protect(env, luaenv_setup, env, 0, NULL, 0) < 0)
		goto fail;
	return env;
fail:
	luaenv_free(env);
	return NULL;
}

void
luaenv_free(struct luaenv *env)
{
	size_t i;

	if (env == NULL)
		return;
	if (env->L != NULL)
		lua_close(env->L);
	if (env->attach_free != NULL)
		env->attach_free(env->attach);
	for (i = 0; i < env->nwatch; i++) {
		free(env->watch[i].name);
		free(env->watch[i].path);
	}
	free(env->watch);
	free(env->scripts_dir);
	free(env->templates_dir);
	free(env);
}
