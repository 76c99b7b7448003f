/*
 * lua.c — the per-worker Lua sandbox (see luaenv.h): the state and its
 * memory cap, the instruction budget and time limit, protected calls
 * with their error messages, hot reload of watched files, loading chunks,
 * and the default rules. What scripts see is built by luasandbox.c, the
 * guards on C library loops are luaguard.c's, JSON conversion is
 * luajson.c's; luaenv_int.h is what these files share.
 */
#include "crypto.h"
#include "luaenv_int.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

/* The count hook runs every this many VM instructions. */
#define LUAENV_HOOK_STEP 1000

/* Registry key (its address is the key): the default rules table. */
static const char luaenv_key_rules;

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

/* Bumped by SIGHUP; each state compares it with its own copy. */
static atomic_uint luaenv_rules_generation;
/* Bumped when any state finds a watched file (template, catalog, module)
 * changed: what was rendered before may differ (render_cache.c). */
static atomic_uint luaenv_files_generation;

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

const struct luaenv_plugin_templates *
luaenv_plugin_templates(struct luaenv *env, size_t i)
{
	return i < env->nplugin_tpl ? &env->plugin_tpl[i] : NULL;
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

int64_t
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

	/* read before the files are looked at: a change after this read
	 * leaves the state's generation behind, never ahead */
	env->files_gen = atomic_load(&luaenv_files_generation);
	while (i < env->nwatch) {
		struct luaenv_watch *w = &env->watch[i];
		const void *cache = w->cache;

		if (!luaenv_watch_changed(w)) {
			i++;
			continue;
		}
		atomic_fetch_add(&luaenv_files_generation, 1);
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

int
luaenv_files_current(const struct luaenv *env)
{
	return env->files_gen == atomic_load(&luaenv_files_generation);
}

unsigned
luaenv_files_generation_now(void)
{
	return atomic_load(&luaenv_files_generation);
}

unsigned
luaenv_files_gen(const struct luaenv *env)
{
	return env->files_gen;
}

void
luaenv_refresh(struct luaenv *env)
{
	struct timespec now;

	/* File checks at most once a second; a reload of the default rules
	 * (an atomic counter) is taken at once, so that work started after
	 * a SIGHUP never runs the old defaults. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec == env->last_refresh &&
	    atomic_load(&luaenv_rules_generation) == env->rules_gen)
		return;
	luaenv_refresh_now(env);
}

/*
 * The default rules a serving host uses are a copy of default.lua taken
 * at start and on every reload (SIGHUP), not the file as it is when a
 * worker first needs them: an edit takes effect for every worker at once,
 * and only when the operator says so.
 */
static struct {
	pthread_mutex_t mu;
	char *path; /* NULL until pinned: read the file (tests, CLI) */
	char *src;
	size_t len;
} luaenv_pinned = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int
luaenv_pin_read(char *err, size_t errlen)
{
	char *src;
	size_t len;
	struct stat st;

	if (luaenv_read_file(luaenv_pinned.path, LUAENV_MAX_SCRIPT, &src, &len,
	                     &st) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", luaenv_pinned.path,
		         strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&luaenv_pinned.mu);
	free(luaenv_pinned.src);
	luaenv_pinned.src = src;
	luaenv_pinned.len = len;
	pthread_mutex_unlock(&luaenv_pinned.mu);
	return 0;
}

int
luaenv_rules_pin(const char *scripts_dir, char *err, size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/rules/default.lua", scripts_dir);
	free(luaenv_pinned.path);
	luaenv_pinned.path = strdup(path);
	if (luaenv_pinned.path == NULL)
		return -1;
	return luaenv_pin_read(err, errlen);
}

void
luaenv_rules_unpin(void)
{
	pthread_mutex_lock(&luaenv_pinned.mu);
	free(luaenv_pinned.src);
	free(luaenv_pinned.path);
	luaenv_pinned.src = luaenv_pinned.path = NULL;
	pthread_mutex_unlock(&luaenv_pinned.mu);
}

void
luaenv_rules_digest(char out[65])
{
	pthread_mutex_lock(&luaenv_pinned.mu);
	crypto_digest(luaenv_pinned.src ? luaenv_pinned.src : "", out);
	pthread_mutex_unlock(&luaenv_pinned.mu);
}

void
luaenv_reload_rules(void)
{
	char err[512];

	/* A file that cannot be read keeps the rules in force. */
	if (luaenv_pinned.path != NULL &&
	    luaenv_pin_read(err, sizeof(err)) != 0)
		fprintf(stderr, "jiaxiao: rules not reloaded: %s\n", err);
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
	src = NULL;
	pthread_mutex_lock(&luaenv_pinned.mu);
	if (luaenv_pinned.src != NULL) {
		src = malloc(luaenv_pinned.len + 1);
		if (src != NULL) {
			memcpy(src, luaenv_pinned.src, luaenv_pinned.len);
			src[luaenv_pinned.len] = '\0';
			len = luaenv_pinned.len;
		}
	}
	pthread_mutex_unlock(&luaenv_pinned.mu);
	snprintf(path, sizeof(path), "%s/rules/default.lua", env->scripts_dir);
	if (src == NULL &&
	    luaenv_read_file(path, LUAENV_MAX_SCRIPT, &src, &len, &st) < 0)
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
		luaenv_push_json_raising(L, a);
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

/* ---- district rules ---------------------------------------------------- */

/* Registry key: district id → {v = version, d = defaults, env = E}. */
static const char luaenv_key_districts;

struct luaenv_district_call {
	struct luaenv *env;
	int64_t district, version;
	const char *source, *name;
	const cJSON *args;
	cJSON *result;
};

/* Pushes the district's rule environment, compiling its chunk when the
 * cached one is of another version or of other default rules. */
static void
luaenv_district_env(lua_State *L, struct luaenv_district_call *dc, int defaults)
{
	char err[512], chunk[64];

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &luaenv_key_districts) !=
	    LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &luaenv_key_districts);
	}
	/* A tried chunk (version -1, a dry run) is never cached. */
	if (dc->version >= 0 &&
	    lua_rawgeti(L, -1, dc->district) == LUA_TTABLE) {
		lua_getfield(L, -1, "v");
		lua_getfield(L, -2, "d");
		if (lua_tointeger(L, -2) == dc->version &&
		    lua_rawequal(L, -1, defaults)) {
			lua_pop(L, 2);
			lua_getfield(L, -1, "env");
			lua_remove(L, -2);
			lua_remove(L, -2);
			return;
		}
		lua_pop(L, 2);
	}
	if (dc->version >= 0)
		lua_pop(L, 1);
	if (dc->version < 0)
		snprintf(chunk, sizeof(chunk), "=district %lld rules (tried)",
		         (long long)dc->district);
	else
		snprintf(chunk, sizeof(chunk), "=district %lld rules v%lld",
		         (long long)dc->district, (long long)dc->version);
	if (luaenv_load(dc->env, dc->source, strlen(dc->source), chunk, err,
	                sizeof(err)) < 0)
		luaL_error(L, "%s", err);
	luaenv_new_district_env(L, defaults);
	lua_pushvalue(L, -1);
	lua_setupvalue(L, -3, 1); /* the chunk's _ENV */
	lua_insert(L, -2);
	if (luaenv_pcall(dc->env, 0, 0, err, sizeof(err)) < 0)
		luaL_error(L, "%s", err);
	if (dc->version < 0) {
		lua_remove(L, -2); /* the cache */
		return;
	}
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, dc->version);
	lua_setfield(L, -2, "v");
	lua_pushvalue(L, defaults);
	lua_setfield(L, -2, "d");
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "env");
	lua_rawseti(L, -3, dc->district);
	lua_remove(L, -2);
}

static int
luaenv_district_run(lua_State *L)
{
	struct luaenv_district_call *dc = lua_touserdata(L, 1);
	const cJSON *a;
	char err[512];
	int nargs = 0, rules;

	luaenv_rules(L, dc->env);
	rules = lua_gettop(L);
	if (dc->source != NULL)
		luaenv_district_env(L, dc, rules);
	else
		lua_pushvalue(L, rules);
	/* A rule is a function called with the arguments and the
	 * effective rule table; anything else is a setting. */
	lua_getfield(L, -1, dc->name);
	if (lua_isnil(L, -1))
		return luaL_error(L, "the rules have no '%s'", dc->name);
	if (lua_isfunction(L, -1)) {
		cJSON_ArrayForEach(a, dc->args)
		{
			luaL_checkstack(L, 2, "too many arguments");
			luaenv_push_json_raising(L, a);
			nargs++;
		}
		lua_pushvalue(L, -2 - nargs);
		if (luaenv_pcall(dc->env, nargs + 1, 1, err, sizeof(err)) < 0)
			return luaL_error(L, "%s", err);
	}
	if ((dc->result = luaenv_to_json(L, -1)) == NULL)
		return luaL_error(
		    L, "rule '%s' gave a value JSON cannot represent",
		    dc->name);
	return 0;
}

int
luaenv_call_district_rule(struct luaenv *env, int64_t district, int64_t version,
                          const char *source, const char *name,
                          const cJSON *args, cJSON **result, char *err,
                          size_t errlen)
{
	struct luaenv_district_call dc = {env,  district, version, source,
	                                  name, args,     NULL};
	int top = lua_gettop(env->L);

	*result = NULL;
	if (luaenv_protect(env, luaenv_district_run, &dc, 0, err, errlen) < 0) {
		cJSON_Delete(dc.result);
		lua_settop(env->L, top);
		return -1;
	}
	lua_settop(env->L, top);
	*result = dc.result;
	return 0;
}

struct luaenv_chunk_check {
	struct luaenv *env;
	const char *source;
};

static int
luaenv_chunk_check_run(lua_State *L)
{
	struct luaenv_chunk_check *cc = lua_touserdata(L, 1);
	char err[512];
	int rules;

	luaenv_rules(L, cc->env);
	rules = lua_gettop(L);
	if (luaenv_load(cc->env, cc->source, strlen(cc->source),
	                "district rules", err, sizeof(err)) < 0)
		return luaL_error(L, "%s", err);
	luaenv_new_district_env(L, rules);
	lua_setupvalue(L, -2, 1);
	if (luaenv_pcall(cc->env, 0, 0, err, sizeof(err)) < 0)
		return luaL_error(L, "%s", err);
	return 0;
}

int
luaenv_check_district_chunk(struct luaenv *env, const char *source, char *err,
                            size_t errlen)
{
	struct luaenv_chunk_check cc = {env, source};
	int top = lua_gettop(env->L), rc;

	rc = luaenv_protect(env, luaenv_chunk_check_run, &cc, 0, err, errlen);
	lua_settop(env->L, top);
	return rc < 0 ? -1 : 0;
}

/* ---- life cycle ---------------------------------------------------------- */

/* The state keeps its own copy: the caller's list may go before it. */
static int
luaenv_copy_plugin_templates(struct luaenv *env, const struct luaenv_opts *opts)
{
	size_t i, n = opts->plugin_templates ? opts->nplugin_templates : 0;

	if (n == 0)
		return 0;
	env->plugin_tpl = calloc(n, sizeof(*env->plugin_tpl));
	if (env->plugin_tpl == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		env->plugin_tpl[i].name =
		    strdup(opts->plugin_templates[i].name);
		env->plugin_tpl[i].dir = strdup(opts->plugin_templates[i].dir);
		env->nplugin_tpl++;
		if (env->plugin_tpl[i].name == NULL ||
		    env->plugin_tpl[i].dir == NULL)
			return -1;
	}
	return 0;
}

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
	env->files_gen = atomic_load(&luaenv_files_generation);
	if (env->scripts_dir == NULL || env->templates_dir == NULL ||
	    luaenv_copy_plugin_templates(env, opts) != 0)
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
	for (i = 0; i < env->nplugin_tpl; i++) {
		free((char *)env->plugin_tpl[i].name);
		free((char *)env->plugin_tpl[i].dir);
	}
	free(env->plugin_tpl);
	free(env->scripts_dir);
	free(env->templates_dir);
	free(env);
}
