/*
 * luaenv.h — the per-worker Lua sandbox.
 *
 * One struct luaenv (one lua_State) per worker thread, never shared
 * between threads. The state has a memory cap (a counting allocator), an
 * instruction budget per call (a count hook that keeps failing once the
 * budget is spent, so a script's own pcall cannot escape it), guards on
 * the C library functions the hook cannot interrupt (string patterns,
 * string.rep, table.move and friends), `require` limited to scripts/lib,
 * and hot reload of the files it has read. Templates are render.h's.
 *
 * What scripts see: the base library without dofile, loadfile, print and
 * the binary form of load; string, table, math, utf8; os.time, os.date,
 * os.clock and os.difftime; `require` of scripts/lib modules; the `jx`
 * table (jx.null, jx.escape, jx.array, jx.object); collectgarbage("count")
 * only, and setmetatable refuses __gc (finalizers run unhooked). Library
 * tables are read-only, and every chunk runs in its own global
 * environment, so one request's script cannot change what the next one
 * sees.
 *
 * Every call into Lua goes through luaenv_pcall. Lua API calls made
 * outside it that allocate may abort the process at the memory cap, so
 * keep them to pushing arguments and reading results.
 */
#ifndef JX_LUAENV_H
#define JX_LUAENV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <lua.h>

struct luaenv;

/* A plugin's own templates folder (beside its .so): it answers for the
 * template names under the plugin's name ("awards/list") that
 * templates_dir lacks, and its i18n/<lang>.lua catalog supplies the keys
 * templates_dir's catalog of that language lacks. */
struct luaenv_plugin_templates {
	const char *name; /* the plugin's name: its templates' prefix */
	const char *dir;  /* e.g. "/opt/x/awards/templates" */
};

struct luaenv_opts {
	const char *scripts_dir;   /* e.g. "<root>/scripts" */
	const char *templates_dir; /* e.g. "<root>/templates" */
	int64_t instructions; /* per-call budget (lua.instructions; 0: 10M) */
	size_t memory_bytes;  /* per-state cap (lua.memory_mb MiB; 0: 32 MiB) */
	/* Optional, may stay zero: */
	int64_t (*now)(void);  /* the host clock behind os.time()/os.date()
	                          (NULL: time(NULL)) */
	int64_t time_limit_ms; /* wall-clock backstop per call, for work
	                          the instruction count cannot see (one
	                          huge string comparison); 0: 10 s */
	/* Plugins' own templates folders, searched after templates_dir in
	 * this order (copied); n of them. */
	const struct luaenv_plugin_templates *plugin_templates;
	size_t nplugin_templates;
};

/* A new sandboxed state (opts NULL: all defaults), or NULL on failure. */
struct luaenv *luaenv_new(const struct luaenv_opts *opts);
void luaenv_free(struct luaenv *env);
lua_State *luaenv_state(struct luaenv *env);
/* The env of a state made by luaenv_new (for C functions called from
 * Lua). */
struct luaenv *luaenv_from(lua_State *L);

/*
 * Call before each request: reloads templates, i18n catalogs and
 * scripts/lib modules whose files changed (stat, at most once per second
 * per state), and drops the default rules when the global rules
 * generation changed (they are loaded again on next use).
 * luaenv_refresh_now does the same without the once-per-second throttle
 * (tests, and `rules check`).
 */
void luaenv_refresh(struct luaenv *env);
void luaenv_refresh_now(struct luaenv *env);
/*
 * The files generation: a process-wide counter every state bumps when its
 * refresh finds a watched file changed. A state's own copy is read at
 * the start of its last refresh (or its creation), so it is behind the
 * counter, never ahead, while its loaded templates may be older than the
 * files. What a state rendered is current only while
 * luaenv_files_gen(env) == luaenv_files_generation_now() (render_cache.c).
 */
unsigned luaenv_files_gen(const struct luaenv *env);
unsigned luaenv_files_generation_now(void);
int luaenv_files_current(const struct luaenv *env);
/* Bumps the global default-rules generation: one atomic increment,
 * async-signal-safe (the SIGHUP handler calls it). */
void luaenv_reload_rules(void);
/* Serving: takes a copy of scripts/rules/default.lua now; workers use the
 * copy, re-taken by luaenv_reload_rules (SIGHUP). 0 or -1 with err. */
int luaenv_rules_pin(const char *scripts_dir, char *err, size_t errlen);
/*
 * A rule of a district: name looked up in the district's chunk (source,
 * of that version; NULL: the default rules alone), falling back to the
 * default rules. A function is called with the JSON array args and the
 * effective rule table last; any other value is returned as it is (a
 * setting such as initial_valid_days). *result is owned by the caller.
 * The compiled chunk is cached per district and version. 0 or -1 + err.
 */
/* Compiles and runs a district chunk over the default rules, as
 * activation would: 0, or -1 with "chunk:line: message" (syntax, runtime
 * error, budget). */
int luaenv_check_district_chunk(struct luaenv *env, const char *source,
                                char *err, size_t errlen);
int luaenv_call_district_rule(struct luaenv *env, int64_t district,
                              int64_t version, const char *source,
                              const char *name, const cJSON *args,
                              cJSON **result, char *err, size_t errlen);
void luaenv_rules_unpin(void);
/* The digest (hex) of the pinned default rules. */
void luaenv_rules_digest(char out[65]);

/*
 * lua_pcall with a traceback handler and a fresh instruction budget: the
 * function and nargs arguments are on the stack, as for lua_pcall. On
 * error returns -1, pops the error and writes a one-line message with
 * chunk:line into err; budget exhaustion, the time limit, the memory cap
 * and the pattern guards all come back here as errors. The full message
 * with its traceback stays readable with luaenv_last_error until the next
 * error. Nested calls (from C functions called by Lua) share the outer
 * call's budget.
 */
int luaenv_pcall(struct luaenv *env, int nargs, int nresults, char *err,
                 size_t errlen);
/* The last error luaenv_pcall saw, with its traceback ("" if none). */
const char *luaenv_last_error(struct luaenv *env);

/*
 * Loads a Lua source string as a text chunk (binary chunks refused) in
 * its own sandbox environment (a fresh table falling back to the sandbox
 * globals) and pushes the function. chunkname is shown in messages as is
 * ("scripts/rules/x.lua"). -1 and "name:line: message" in err on a syntax
 * error, with nothing pushed.
 */
int luaenv_load(struct luaenv *env, const char *src, size_t len,
                const char *chunkname, char *err, size_t errlen);

/*
 * JSON <-> Lua. Objects become tables (null members are left out, so
 * they read as nil), arrays sequences (null elements become jx.null), an
 * empty object a table marked as an object. luaenv_push_json always
 * pushes one value (nil when the memory cap is hit or v is NULL).
 */
void luaenv_push_json(lua_State *L, const cJSON *v);
/*
 * The value at idx as a new cJSON tree, or NULL if it is not
 * representable: functions, userdata, NaN or infinities, strings that are
 * not UTF-8, tables mixing keys or with holes, nesting deeper than 64.
 * nil and jx.null give null; an empty table gives [] unless marked with
 * jx.object.
 */
cJSON *luaenv_to_json(lua_State *L, int idx);
/* Whether the value at idx is jx.null. */
int luaenv_is_null(lua_State *L, int idx);
/* Marks the table at idx as a JSON array, as luaenv_push_json marks the
 * arrays it pushes. */
void luaenv_mark_array(lua_State *L, int idx);

/*
 * The default rules (scripts/rules/default.lua, a chunk returning a
 * table): pushes the table, loading it on first use after start or after
 * luaenv_reload_rules. -1 with err (nothing pushed) on failure.
 */
int luaenv_push_rules(struct luaenv *env, char *err, size_t errlen);
/*
 * Calls default_rules[name](args...) with the elements of the JSON array
 * args (NULL: no arguments; null elements pass nil) and stores its first
 * result as JSON in *result (null for nil; caller frees). -1 with err when
 * the rule is missing, fails, or returns something not representable.
 */
int luaenv_call_rule(struct luaenv *env, const char *name, const cJSON *args,
                     cJSON **result, char *err, size_t errlen);

/*
 * Pushes a fresh chunk environment: a table of its own for globals whose
 * reads fall back to the sandbox globals. Raises on memory exhaustion
 * (call it from protected code).
 */
void luaenv_new_env(lua_State *L);

/* ---- host-internal: for render.c ----------------------------------- */

/* luaenv_push_json for protected code: raises instead of pushing nil. */
void luaenv_push_json_raising(lua_State *L, const cJSON *v);

const char *luaenv_templates_dir(struct luaenv *env);
/* The i-th plugin templates folder (luaenv_opts.plugin_templates), or
 * NULL past the last. */
const struct luaenv_plugin_templates *
luaenv_plugin_templates(struct luaenv *env, size_t i);
size_t luaenv_memory_limit(struct luaenv *env);
/*
 * Charges cost instruction-equivalents to the running call's budget;
 * raises the budget error when it is spent. For C functions doing work
 * proportional to their input.
 */
void luaenv_charge(lua_State *L, int64_t cost);
/*
 * Reads a whole regular file of at most max bytes into malloc'ed,
 * NUL-terminated memory. Returns 0, or -1 with errno (EFBIG when too
 * large); *st receives its stat.
 */
int luaenv_read_file(const char *path, size_t max, char **data, size_t *len,
                     struct stat *st);
/*
 * Watches path for luaenv_refresh: when its file changes, appears or
 * disappears (st NULL: it was absent), the registry table at light
 * userdata key cache loses its field name; with whole set, the table is
 * replaced by an empty one and the default rules are dropped too.
 */
void luaenv_watch(struct luaenv *env, const void *cache, const char *name,
                  const char *path, const struct stat *st, int whole);
/* One state-lifetime pointer for render.c, freed by free_fn at
 * luaenv_free. */
void *luaenv_attachment(struct luaenv *env);
void luaenv_attach(struct luaenv *env, void *ptr, void (*free_fn)(void *));

#endif
