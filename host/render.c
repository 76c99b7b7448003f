/*
 * render.c — HTML templates run as Lua functions (compiled by
 * tplcompile.c, cached per state, reloaded when their file changes), the
 * i18n catalogs, the HTML escaper, and the choice of language.
 *
 * Template syntax (templates/README.md says the same, with examples):
 *
 *   {{ expr }}       the Lua expression, HTML-escaped; nil and jx.null
 *                    print nothing, numbers and booleans print as
 *                    tostring does, a table without __tostring is an error
 *   {{= expr }}      the value raw, unescaped: explicit and rare; so is
 *                    {{ raw(expr) }}
 *   {% stmts %}      Lua statements, for control flow:
 *                    {% for _, p in ipairs(items) do %} ... {% end %}
 *                    {% if x then %} ... {% else %} ... {% end %}
 *                    {% local n = #items %}
 *   {% include "partials/name" %}
 *                    another template, with the same variables;
 *                    {% include("partials/row", {item = p}) %} adds some
 *   {{# comment }}   nothing
 *
 * A {% %} or {{# }} tag alone on its line takes the whole line with it,
 * so control flow leaves no blank lines. A template's variables are the
 * members of its data object, `lang`, the helpers t(key [, params]),
 * t_in(lang, key [, params]), raw(v) and escape(v), and the globals
 * ipairs, pairs, tostring, tonumber, string, table, math, utf8, os, jx and
 * require; other Lua globals are hidden, so that a variable the data
 * lacks reads as nil even when named `error` or `next`. A global assigned
 * in a template is a variable of this render, seen by its includes.
 *
 * A template compiles to one Lua chunk whose line numbers are the
 * template's (text newlines become escaped newlines in the chunk), so an
 * error reads "templates/home.html:12: ...". Compiled functions are
 * cached per state by name and dropped by luaenv_refresh when their file
 * changes. Names are [a-z0-9_/-] paths under templates_dir, without
 * ".html".
 *
 * A plugin may bring its own templates folder beside its .so (luaenv_opts'
 * plugin_templates): searched after templates_dir, it answers for the
 * names under the plugin's name only ("awards/list" from
 * <dir>/awards/list.html), and its i18n/<lang>.lua supplies the keys the
 * top-level catalog of that language lacks. Both reload like the rest.
 */
#include "render.h"
#include "render_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#define RENDER_DEFAULT_LANG "zh-CN"
#define RENDER_MAX_TEMPLATE (1 << 20)
#define RENDER_MAX_INCLUDE 16

/* Registry keys (their addresses are the keys). */
static const char render_key_templates;       /* name -> compiled function */
static const char render_key_catalogs;        /* lang -> messages | false */
static const char render_key_plugin_catalogs; /* path -> messages | false */
static const char render_key_data_mt;         /* a render's variables' mt */
static const char render_key_raw_mt;          /* marks raw(v) wrappers */
static const char render_key_emit;            /* {_o, _e, _r, _inc} */
static const char render_key_lang_catalog;    /* the running render's */

/* Per state (attached to the luaenv). */
struct render_state {
	int ready;        /* the registry tables exist */
	struct buf *out;  /* where the running render appends */
	size_t out_base;  /* out->len when that render began */
	size_t out_limit; /* most bytes one render may produce */
	const char *lang; /* the running render's language */
	/* While a render runs: its language, whose catalog (table or
	 * false) is in the registry at render_key_lang_catalog; NULL
	 * otherwise (a refresh between renders may reload catalogs). */
	const char *cat_lang;
	int include_depth;  /* of the running render */
	struct buf scratch; /* a page's content, before the layout */
	struct buf src;     /* the compiler's Lua code */
	struct buf code;    /* one tag's code */
	/* The HTML chunks of the running render (render_push_chunk):
	 * printed from this memory, never copied into Lua strings. */
	struct render_chunk {
		const char *p;
		size_t n;
	} * chunks;
	size_t nchunks, capchunks;
};

/* A chunk's value in Lua: a light userdata pointing at its index's byte
 * here, only compared (never read through), checked against the
 * running render's count before it is printed. */
#define RENDER_CHUNKS_MAX 4096
static const char render_chunk_ids[RENDER_CHUNKS_MAX];

static const char *const render_entity[256] = {
    ['&'] = "&amp;",  ['<'] = "&lt;",   ['>'] = "&gt;",
    ['"'] = "&quot;", ['\''] = "&#39;",
};

void
render_escape(struct buf *out, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *rep = render_entity[(unsigned char)s[i]];

		if (rep == NULL)
			continue;
		buf_append(out, s + start, i - start);
		buf_append(out, rep, strlen(rep));
		start = i + 1;
	}
	buf_append(out, s + start, n - start);
}

int
render_lua_escape(lua_State *L)
{
	size_t n, i, start = 0;
	const char *s;
	luaL_Buffer b;

	if (lua_isnoneornil(L, 1)) {
		lua_pushliteral(L, "");
		return 1;
	}
	s = luaL_checklstring(L, 1, &n);
	luaenv_charge(L, (int64_t)(n >> 4));
	luaL_buffinit(L, &b);
	for (i = 0; i < n; i++) {
		const char *rep = render_entity[(unsigned char)s[i]];

		if (rep == NULL)
			continue;
		luaL_addlstring(&b, s + start, i - start);
		luaL_addstring(&b, rep);
		start = i + 1;
	}
	luaL_addlstring(&b, s + start, n - start);
	luaL_pushresult(&b);
	return 1;
}

/* ---- state and lookups ------------------------------------------------- */

static void
render_state_free(void *p)
{
	struct render_state *st = p;

	buf_free(&st->scratch);
	buf_free(&st->src);
	buf_free(&st->code);
	free(st->chunks);
	free(st);
}

static int render_t_lua(lua_State *L);
static int render_t_in_lua(lua_State *L);
static int render_raw_lua(lua_State *L);
static int render_o(lua_State *L);
static int render_e(lua_State *L);
static int render_r(lua_State *L);
static int render_inc(lua_State *L);

/* The render state of env, creating it and its registry tables on first
 * use (protected code). */
static struct render_state *
render_state(lua_State *L, struct luaenv *env)
{
	static const lua_CFunction emit[] = {render_o, render_e, render_r,
	                                     render_inc};
	static const char *const render_globals[] = {
	    "ipairs", "pairs", "tostring", "tonumber", "string",  "table",
	    "math",   "utf8",  "os",       "jx",       "require", NULL};
	struct render_state *st = luaenv_attachment(env);
	int i;

	if (st != NULL && st->ready)
		return st;
	if (st == NULL) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			luaL_error(L, "out of memory");
		buf_init(&st->scratch);
		buf_init(&st->src);
		buf_init(&st->code);
		luaenv_attach(env, st, render_state_free);
	}
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &render_key_templates);
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &render_key_catalogs);
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &render_key_plugin_catalogs);
	lua_createtable(L, 0, 2);
	lua_pushliteral(L, "raw");
	lua_setfield(L, -2, "__name");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &render_key_raw_mt);
	/* A render's variables fall back to the helpers and a few sandbox
	 * globals, not to all: a variable the data lacks must read as nil,
	 * not as the function `error` or `next` of the same name. */
	lua_createtable(L, 0, 2);
	luaenv_new_env(L);
	lua_createtable(L, 0, 16);
	for (i = 0; render_globals[i] != NULL; i++) {
		lua_getfield(L, -2, render_globals[i]);
		lua_setfield(L, -2, render_globals[i]);
	}
	lua_remove(L, -2);
	lua_pushcfunction(L, render_t_lua);
	lua_setfield(L, -2, "t");
	lua_pushcfunction(L, render_t_in_lua);
	lua_setfield(L, -2, "t_in");
	lua_pushcfunction(L, render_raw_lua);
	lua_setfield(L, -2, "raw");
	lua_pushcfunction(L, render_lua_escape);
	lua_setfield(L, -2, "escape");
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &render_key_data_mt);
	lua_createtable(L, 4, 0);
	for (i = 0; i < 3; i++) {
		lua_pushcfunction(L, emit[i]);
		lua_rawseti(L, -2, i + 1);
	}
	/* _inc keeps the metatable keys it sets on every include */
	lua_pushliteral(L, "__index");
	lua_pushliteral(L, "__metatable");
	lua_pushcclosure(L, emit[3], 2);
	lua_rawseti(L, -2, 4);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &render_key_emit);
	st->ready = 1;
	return st;
}

static struct render_state *
render_running(lua_State *L)
{
	return luaenv_attachment(luaenv_from(L));
}

static int
render_lang_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 16 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Pushes the catalog at path (a table), or false when there is none,
 * cached in the registry table cache under field; loads it on first use
 * (chunk names it in messages). Raises if it is broken. */
static void
render_push_catalog_file(lua_State *L, struct luaenv *env, const void *cache,
                         const char *field, const char *path, const char *chunk)
{
	char err[512], *text;
	struct stat st;
	size_t len;
	int rc;

	lua_rawgetp(L, LUA_REGISTRYINDEX, cache);
	if (lua_getfield(L, -1, field) != LUA_TNIL) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	if (luaenv_read_file(path, RENDER_MAX_TEMPLATE, &text, &len, &st) < 0) {
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, field);
		luaenv_watch(env, cache, field, path, NULL, 0);
		lua_pop(L, 1);
		lua_pushboolean(L, 0);
		return;
	}
	rc = luaL_loadbufferx(L, text, len, chunk, "t");
	free(text);
	if (rc != LUA_OK)
		lua_error(L);
	/* Catalogs are data: an empty environment. */
	lua_newtable(L);
	lua_setupvalue(L, -2, 1);
	if (luaenv_pcall(env, 0, 1, err, sizeof(err)) < 0) {
		lua_pushstring(L, err);
		lua_error(L);
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s must return a table", chunk + 1);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, field);
	lua_remove(L, -2);
	luaenv_watch(env, cache, field, path, &st, 0);
}

/* Pushes the catalog of lang (a table), or false when it has none:
 * templates/i18n/<lang>.lua. */
static void
render_push_catalog(lua_State *L, struct luaenv *env, const char *lang)
{
	char path[PATH_MAX], chunk[64];

	/* The cached catalog without formatting its path: t() runs dozens
	 * of times a page. */
	lua_rawgetp(L, LUA_REGISTRYINDEX, &render_key_catalogs);
	if (lua_getfield(L, -1, lang) != LUA_TNIL) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 2);
	snprintf(path, sizeof(path), "%s/i18n/%s.lua",
	         luaenv_templates_dir(env), lang);
	snprintf(chunk, sizeof(chunk), "=templates/i18n/%s.lua", lang);
	render_push_catalog_file(L, env, &render_key_catalogs, lang, path,
	                         chunk);
}

/* Pushes the catalog of lang in the plugin's templates folder pt, or
 * false; cached by path, since every plugin has one per language. */
static void
render_push_plugin_catalog(lua_State *L, struct luaenv *env,
                           const struct luaenv_plugin_templates *pt,
                           const char *lang)
{
	char chunk[PATH_MAX + 1]; /* "=" and the path */

	chunk[0] = '=';
	snprintf(chunk + 1, sizeof(chunk) - 1, "%s/i18n/%s.lua", pt->dir, lang);
	render_push_catalog_file(L, env, &render_key_plugin_catalogs, chunk + 1,
	                         chunk + 1, chunk);
}

/* With a catalog (or false) at the top: replaces it by its message for
 * the key (the string at index key) and returns 1, or pops it and
 * returns 0. A raw get with the key's own Lua string: catalogs are plain
 * tables, and interning the key again from C cost as much as the
 * lookup. */
static int
render_catalog_get(lua_State *L, int key)
{
	if (lua_istable(L, -1)) {
		lua_pushvalue(L, key);
		if (lua_rawget(L, -2) == LUA_TSTRING) {
			lua_remove(L, -2);
			return 1;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return 0;
}

/* lang if it has a catalog, else the default. */
static const char *
render_lang(lua_State *L, struct luaenv *env, const char *lang)
{
	int ok;

	if (lang == NULL || strcmp(lang, RENDER_DEFAULT_LANG) == 0 ||
	    !render_lang_ok(lang))
		return RENDER_DEFAULT_LANG;
	render_push_catalog(L, env, lang);
	ok = lua_istable(L, -1);
	lua_pop(L, 1);
	return ok ? lang : RENDER_DEFAULT_LANG;
}

/* Pushes the message for the key (the string at index key) in lang,
 * else in the default language (in each: templates/i18n, then the
 * plugins' catalogs); returns 0 (nothing pushed) when none has it. */
static int
render_lookup(lua_State *L, struct luaenv *env, const char *lang, int key)
{
	const char *langs[2] = {lang, RENDER_DEFAULT_LANG};
	const struct render_state *st = luaenv_attachment(env);
	int i;

	const struct luaenv_plugin_templates *pt;
	size_t j;

	for (i = 0; i < 2; i++) {
		if (i == 1 && strcmp(lang, RENDER_DEFAULT_LANG) == 0)
			break;
		if (i == 0 && st != NULL && st->cat_lang == lang)
			lua_rawgetp(L, LUA_REGISTRYINDEX,
			            &render_key_lang_catalog);
		else
			render_push_catalog(L, env, langs[i]);
		if (render_catalog_get(L, key))
			return 1;
		/* The top-level catalog wins: a plugin only adds keys. */
		for (j = 0; (pt = luaenv_plugin_templates(env, j)) != NULL;
		     j++) {
			render_push_plugin_catalog(L, env, pt, langs[i]);
			if (render_catalog_get(L, key))
				return 1;
		}
	}
	return 0;
}

/* Replaces the string at the top by itself with every {name} replaced by
 * params[name] (a table at index params) when that is a string or
 * number. */
static void
render_fill(lua_State *L, int params)
{
	const char *s = lua_tostring(L, -1), *open, *close;
	int msg = lua_gettop(L);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	while ((open = strchr(s, '{')) != NULL &&
	       (close = strchr(open, '}')) != NULL) {
		luaL_addlstring(&b, s, (size_t)(open - s));
		lua_pushlstring(L, open + 1, (size_t)(close - open - 1));
		lua_gettable(L, params);
		if (lua_type(L, -1) == LUA_TSTRING ||
		    lua_type(L, -1) == LUA_TNUMBER) {
			luaL_addvalue(&b);
		} else {
			lua_pop(L, 1);
			luaL_addlstring(&b, open, (size_t)(close - open + 1));
		}
		s = close + 1;
	}
	luaL_addstring(&b, s);
	luaL_pushresult(&b);
	lua_replace(L, msg);
}

static int
render_translate(lua_State *L, const char *lang, int karg)
{
	struct luaenv *env = luaenv_from(L);

	luaL_checkstring(L, karg); /* a number becomes its string */
	if (!render_lookup(L, env, lang, lua_absindex(L, karg)))
		lua_pushvalue(L, karg);
	if (lua_type(L, karg + 1) == LUA_TTABLE)
		render_fill(L, karg + 1);
	return 1;
}

/* t(key [, params]): in the running render's language. */
static int
render_t_lua(lua_State *L)
{
	struct render_state *st = render_running(L);

	return render_translate(L, st->lang ? st->lang : RENDER_DEFAULT_LANG,
	                        1);
}

/* t_in(lang, key [, params]): in a given language. */
static int
render_t_in_lua(lua_State *L)
{
	const char *lang =
	    render_lang(L, luaenv_from(L), luaL_checkstring(L, 1));

	return render_translate(L, lang, 2);
}

/* raw(v): v, marked to be printed unescaped by {{ }}. */
static int
render_raw_lua(lua_State *L)
{
	if (lua_isnoneornil(L, 1))
		return 0;
	lua_createtable(L, 1, 0);
	lua_pushvalue(L, 1);
	lua_rawseti(L, -2, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &render_key_raw_mt);
	lua_setmetatable(L, -2);
	return 1;
}

/* ---- output ---------------------------------------------------------------
 */

static void
render_append(lua_State *L, struct render_state *st, const char *s, size_t n,
              int escape)
{
	size_t used = st->out->len - st->out_base;

	if (used > st->out_limit || n > st->out_limit - used)
		luaL_error(L, "template output exceeds %I bytes",
		           (lua_Integer)st->out_limit);
	luaenv_charge(L, (int64_t)(n >> 4));
	if (escape)
		render_escape(st->out, s, n);
	else
		buf_append(st->out, s, n);
}

static int
render_is_raw(lua_State *L, int idx)
{
	int raw;

	if (!lua_getmetatable(L, idx))
		return 0;
	lua_rawgetp(L, LUA_REGISTRYINDEX, &render_key_raw_mt);
	raw = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return raw;
}

/* v in decimal as LUA_INTEGER_FMT prints it, into num (at least 21
 * bytes and the NUL); returns the length. A page prints ids and counts
 * by the dozen, and snprintf cost more than the rest of the print. */
static int
render_int(char *num, lua_Integer v)
{
	char rev[24];
	lua_Unsigned u = v < 0 ? 0 - (lua_Unsigned)v : (lua_Unsigned)v;
	int n = 0, len = 0;

	do {
		rev[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	if (v < 0)
		num[len++] = '-';
	while (n > 0)
		num[len++] = rev[--n];
	num[len] = '\0';
	return len;
}

/* Prints the value at idx, as tostring would, without allocating. */
static void
render_value(lua_State *L, struct render_state *st, int idx, int escape)
{
	char num[64];
	const char *s;
	size_t n;
	int len;

	switch (lua_type(L, idx)) {
	case LUA_TNONE:
	case LUA_TNIL: return;
	case LUA_TSTRING: s = lua_tolstring(L, idx, &n); break;
	case LUA_TBOOLEAN:
		s = lua_toboolean(L, idx) ? "true" : "false";
		n = strlen(s);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			len = render_int(num, lua_tointeger(L, idx));
		} else {
			len = snprintf(num, sizeof(num), LUA_NUMBER_FMT,
			               (LUAI_UACNUMBER)lua_tonumber(L, idx));
			if (num[strspn(num, "-0123456789")] == '\0') {
				num[len++] = '.';
				num[len++] = '0';
				num[len] = '\0';
			}
		}
		s = num;
		n = (size_t)len;
		break;
	case LUA_TLIGHTUSERDATA: {
		const char *id = lua_touserdata(L, idx);

		if (luaenv_is_null(L, idx))
			return;
		if (id >= render_chunk_ids &&
		    id < render_chunk_ids + RENDER_CHUNKS_MAX &&
		    (size_t)(id - render_chunk_ids) < st->nchunks) {
			const struct render_chunk *c =
			    &st->chunks[id - render_chunk_ids];

			s = c->p;
			n = c->n;
			break;
		}
		goto bad;
	}
	case LUA_TTABLE:
		if (render_is_raw(L, idx)) {
			lua_rawgeti(L, idx, 1);
			render_value(L, st, lua_gettop(L), 0);
			lua_pop(L, 1);
			return;
		}
		if (luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL)
			goto bad;
		lua_pop(L, 1);
		s = luaL_tolstring(L, idx, &n);
		break;
	default: goto bad;
	}
	render_append(L, st, s, n, escape);
	return;
bad:
	luaL_error(L, "cannot print a %s value", luaL_typename(L, idx));
}

/* _o(text): a piece of the template's own text. */
static int
render_o(lua_State *L)
{
	size_t n;
	const char *s = lua_tolstring(L, 1, &n);

	if (s != NULL)
		render_append(L, render_running(L), s, n, 0);
	return 0;
}

/* _e(v): {{ v }}. */
static int
render_e(lua_State *L)
{
	render_value(L, render_running(L), 1, 1);
	return 0;
}

/* _r(v): {{= v }}. */
static int
render_r(lua_State *L)
{
	render_value(L, render_running(L), 1, 0);
	return 0;
}

static int
render_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '/' || s[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '/' && s[i + 1] == '/')
			return 0;
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && !strchr("_/-", s[i]))
			return 0;
	}
	return 1;
}

/* Reads template name from the templates folder of the plugin it is
 * named after, when that plugin brought one: 0 with path set to its file,
 * or -1 with errno. */
static int
render_plugin_template(struct luaenv *env, const char *name, char *path,
                       size_t pathlen, char **text, size_t *len,
                       struct stat *sb)
{
	const struct luaenv_plugin_templates *pt;
	size_t j, n;

	for (j = 0; (pt = luaenv_plugin_templates(env, j)) != NULL; j++) {
		n = strlen(pt->name);
		if (strncmp(name, pt->name, n) != 0 || name[n] != '/')
			continue;
		snprintf(path, pathlen, "%s/%s.html", pt->dir, name);
		if (luaenv_read_file(path, RENDER_MAX_TEMPLATE, text, len,
		                     sb) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	errno = ENOENT;
	return -1;
}

/* With the templates table at the top: compiles template name, stores
 * it there and pushes it in the table's place. From templates_dir, else
 * from its plugin's own folder. */
static void
render_compile_template(lua_State *L, struct luaenv *env, const char *name)
{
	struct render_state *st = render_running(L);
	/* file is "=" and the path: the chunk name of a plugin's template */
	char file[PATH_MAX + 1], label[160], msg[512], *path = file + 1, *text;
	const char *chunk = label;
	struct stat sb;
	size_t len;
	int rc;

	if (!render_name_ok(name))
		luaL_error(L, "bad template name '%s'", name);
	file[0] = '=';
	snprintf(path, sizeof(file) - 1, "%s/%s.html",
	         luaenv_templates_dir(env), name);
	snprintf(label, sizeof(label), "=templates/%s.html", name);
	if (luaenv_read_file(path, RENDER_MAX_TEMPLATE, &text, &len, &sb) < 0) {
		if (errno != ENOENT ||
		    render_plugin_template(env, name, path, sizeof(file) - 1,
		                           &text, &len, &sb) < 0)
			luaL_error(L, "template '%s' %s", name,
			           errno == ENOENT ? "not found"
			                           : "cannot be read");
		chunk = file;
	}
	rc = render_compile(&st->src, &st->code, chunk + 1, text, len, msg,
	                    sizeof(msg));
	free(text);
	if (rc < 0) {
		lua_pushstring(L, msg);
		lua_error(L);
	}
	if (luaL_loadbufferx(L, st->src.data, st->src.len, chunk, "t") !=
	    LUA_OK)
		lua_error(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, name);
	lua_remove(L, -2);
	luaenv_watch(env, &render_key_templates, name, path, &sb, 0);
}

/* Pushes the compiled template name, compiling it on first use. */
static void
render_push_template(lua_State *L, struct luaenv *env, const char *name)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &render_key_templates);
	if (lua_getfield(L, -1, name) == LUA_TFUNCTION) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	render_compile_template(L, env, name);
}

/* The same for the name that is the string at index key (absolute): a
 * raw get with the Lua string itself, not interning it again from C. */
static void
render_push_template_at(lua_State *L, struct luaenv *env, int key)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &render_key_templates);
	lua_pushvalue(L, key);
	if (lua_rawget(L, -2) == LUA_TFUNCTION) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	render_compile_template(L, env, lua_tostring(L, key));
}

static void
render_push_emitters(lua_State *L)
{
	int i;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &render_key_emit);
	for (i = 1; i <= 4; i++)
		lua_rawgeti(L, -i, i);
	lua_remove(L, -5);
}

/* Runs template name (or, name NULL, the one named by the string at
 * index key) with the variables table at index vars. */
static void
render_call(lua_State *L, struct luaenv *env, const char *name, int key,
            int vars)
{
	luaL_checkstack(L, 8, "templates nested too deeply");
	if (name != NULL)
		render_push_template(L, env, name);
	else
		render_push_template_at(L, env, key);
	lua_pushvalue(L, vars);
	render_push_emitters(L);
	lua_call(L, 5, 0);
}

/* _inc(env, name [, vars [, fresh]]): {% include %}. fresh: vars is a
 * table constructor of the include itself (the compiler says so), which
 * nothing else holds, so it becomes the include's variables as it is. */
static int
render_inc(lua_State *L)
{
	struct render_state *st = render_running(L);
	const char *name;
	int vars = 1;

	luaL_checktype(L, 1, LUA_TTABLE);
	name = luaL_checkstring(L, 2);
	if (st->include_depth >= RENDER_MAX_INCLUDE)
		return luaL_error(L,
		                  "include of '%s': more than %d levels "
		                  "(does a template include itself?)",
		                  name, RENDER_MAX_INCLUDE);
	if (!lua_isnoneornil(L, 3)) {
		/* The extra variables in a table of their own, falling
		 * back to the includer's. */
		luaL_checktype(L, 3, LUA_TTABLE);
		if (lua_toboolean(L, 4) && !lua_getmetatable(L, 3)) {
			vars = 3;
		} else {
			lua_createtable(L, 0, 4);
			vars = lua_gettop(L);
			lua_pushnil(L);
			while (lua_next(L, 3)) {
				lua_pushvalue(L, -2);
				lua_insert(L, -2);
				lua_rawset(L, vars);
			}
		}
		lua_createtable(L, 0, 2);
		lua_pushvalue(L, lua_upvalueindex(1)); /* "__index" */
		lua_pushvalue(L, 1);
		lua_rawset(L, -3);
		lua_pushvalue(L, lua_upvalueindex(2)); /* "__metatable" */
		lua_pushboolean(L, 0);
		lua_rawset(L, -3);
		lua_setmetatable(L, vars);
	}
	st->include_depth++;
	render_call(L, luaenv_from(L), NULL, 2, vars);
	st->include_depth--;
	return 0;
}

/* ---- entry points ------------------------------------------------------ */

struct render_job {
	struct luaenv *env;
	const char *name, *lang;
	const cJSON *data, *page;
	int with_page;
	struct buf *out;
	void (*push_page)(lua_State *L, void *ud);
	void *ud;
	void (*add_data)(lua_State *L, void *ud);
	void *data_ud;
};

/* Pushes a render's variables: data's members (and add_data's), lang
 * and page. */
static int
render_push_vars(lua_State *L, const struct render_job *job, const char *lang,
                 int page)
{
	const cJSON *data = job->data;
	int vars;

	if (cJSON_IsObject(data))
		luaenv_push_json_raising(L, data);
	else
		lua_newtable(L);
	vars = lua_gettop(L);
	if (job->add_data != NULL) {
		job->add_data(L, job->data_ud);
		lua_settop(L, vars);
	}
	lua_pushliteral(L, "lang");
	if (lua_rawget(L, vars) == LUA_TNIL) {
		lua_pushstring(L, lang);
		lua_setfield(L, vars, "lang");
	}
	lua_pop(L, 1);
	if (page > 0) {
		lua_pushliteral(L, "page");
		if (lua_rawget(L, vars) == LUA_TNIL) {
			lua_pushvalue(L, page);
			lua_setfield(L, vars, "page");
		}
		lua_pop(L, 1);
	}
	lua_rawgetp(L, LUA_REGISTRYINDEX, &render_key_data_mt);
	lua_setmetatable(L, vars);
	return vars;
}

static int
render_run(lua_State *L)
{
	struct render_job *job = lua_touserdata(L, 1);
	struct render_state *st = render_state(L, job->env);
	const char *lang = render_lang(L, job->env, job->lang);
	int page = 0, vars;

	st->include_depth = 0;
	st->nchunks = 0;
	st->lang = lang;
	/* t() runs dozens of times a page: its catalog found once */
	render_push_catalog(L, job->env, lang);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &render_key_lang_catalog);
	st->cat_lang = lang;
	st->out_limit = luaenv_memory_limit(job->env);
	if (!job->with_page) {
		vars = render_push_vars(L, job, lang, 0);
		st->out = job->out;
		st->out_base = job->out->len;
		render_call(L, job->env, job->name, 0, vars);
		return 0;
	}
	if (job->push_page != NULL)
		job->push_page(L, job->ud);
	else if (cJSON_IsObject(job->page))
		luaenv_push_json_raising(L, job->page);
	else
		lua_newtable(L);
	page = lua_gettop(L);
	vars = render_push_vars(L, job, lang, page);
	buf_reset(&st->scratch);
	st->out = &st->scratch;
	st->out_base = 0;
	render_call(L, job->env, job->name, 0, vars);

	lua_createtable(L, 0, 3);
	vars = lua_gettop(L);
	lua_pushvalue(L, page);
	lua_setfield(L, vars, "page");
	lua_pushstring(L, lang);
	lua_setfield(L, vars, "lang");
	/* the content as a chunk: the layout prints it raw, and 20 KB
	 * copied into a Lua string (and collected) cost more than all
	 * its other variables */
	render_push_chunk(L, st->scratch.len ? st->scratch.data : "",
	                  st->scratch.len);
	lua_setfield(L, vars, "content");
	lua_rawgetp(L, LUA_REGISTRYINDEX, &render_key_data_mt);
	lua_setmetatable(L, vars);
	st->out = job->out;
	st->out_base = job->out->len;
	render_call(L, job->env, "layout", 0, vars);
	return 0;
}

static int
render_exec(struct render_job *job, char *err, size_t errlen)
{
	lua_State *L = luaenv_state(job->env);
	struct render_state *st;
	size_t len0 = job->out->len;
	int top = lua_gettop(L), rc;

	if (!lua_checkstack(L, 4)) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "Lua stack exhausted");
		return -1;
	}
	lua_pushcfunction(L, render_run);
	lua_pushlightuserdata(L, job);
	rc = luaenv_pcall(job->env, 1, 0, err, errlen);
	if ((st = luaenv_attachment(job->env)) != NULL)
		st->cat_lang = NULL;
	lua_settop(L, top);
	if (rc < 0 && job->out->data != NULL) {
		job->out->len = len0;
		job->out->data[len0] = '\0';
	}
	return rc;
}

int
render_template(struct luaenv *env, const char *name, const cJSON *data,
                const char *lang, struct buf *out, char *err, size_t errlen)
{
	struct render_job job = {env, name, lang, data, NULL, 0,
	                         out, NULL, NULL, NULL, NULL};

	return render_exec(&job, err, errlen);
}

int
render_page(struct luaenv *env, const char *name, const cJSON *data,
            const cJSON *page, const char *lang, struct buf *out, char *err,
            size_t errlen)
{
	struct render_job job = {env, name, lang, data, page, 1,
	                         out, NULL, NULL, NULL, NULL};

	return render_exec(&job, err, errlen);
}

int
render_page_with(struct luaenv *env, const char *name, const cJSON *data,
                 void (*add_data)(lua_State *L, void *ud), void *data_ud,
                 void (*push_page)(lua_State *L, void *ud), void *ud,
                 const char *lang, struct buf *out, char *err, size_t errlen)
{
	struct render_job job = {env, name,      lang, data,     NULL,   1,
	                         out, push_page, ud,   add_data, data_ud};

	return render_exec(&job, err, errlen);
}

void
render_push_chunk(lua_State *L, const char *p, size_t n)
{
	struct render_state *st = render_running(L);

	if (st == NULL || st->nchunks >= RENDER_CHUNKS_MAX) {
		lua_pushlstring(L, p, n);
		return;
	}
	if (st->nchunks == st->capchunks) {
		size_t cap = st->capchunks ? 2 * st->capchunks : 64;
		struct render_chunk *c =
		    realloc(st->chunks, cap * sizeof(*st->chunks));

		if (c == NULL) {
			lua_pushlstring(L, p, n);
			return;
		}
		st->chunks = c;
		st->capchunks = cap;
	}
	st->chunks[st->nchunks].p = p;
	st->chunks[st->nchunks].n = n;
	lua_pushlightuserdata(L, (void *)&render_chunk_ids[st->nchunks]);
	st->nchunks++;
}

int
render_push_t(lua_State *L, const char *key)
{
	struct render_state *st = render_running(L);
	int k;

	luaL_checkstack(L, 4, "render_push_t");
	lua_pushstring(L, key);
	k = lua_gettop(L);
	if (render_lookup(L, luaenv_from(L),
	                  st->lang ? st->lang : RENDER_DEFAULT_LANG, k)) {
		lua_remove(L, k);
		return 1;
	}
	return 0;
}

struct render_t_job {
	struct luaenv *env;
	const char *lang, *key, *result;
};

static int
render_t_run(lua_State *L)
{
	struct render_t_job *job = lua_touserdata(L, 1);
	const char *lang;

	render_state(L, job->env);
	lang = render_lang(L, job->env, job->lang);
	lua_pushstring(L, job->key);
	if (render_lookup(L, job->env, lang, lua_gettop(L)))
		job->result = lua_tostring(L, -1);
	return 0;
}

const char *
render_t(struct luaenv *env, const char *lang, const char *key)
{
	struct render_t_job job = {env, lang, key, key};
	lua_State *L = luaenv_state(env);
	int top = lua_gettop(L);

	if (key == NULL)
		return "";
	if (!lua_checkstack(L, 4))
		return key;
	lua_pushcfunction(L, render_t_run);
	lua_pushlightuserdata(L, &job);
	/* The message lives on in its catalog, held by the registry. */
	if (lua_pcall(L, 1, 0, 0) != LUA_OK)
		job.result = key;
	lua_settop(L, top);
	return job.result;
}

/* ---- Accept-Language ----------------------------------------------------- */

/* The q of one Accept-Language element's parameters (1 when absent). */
static double
render_q(const char *p, const char *e)
{
	double q = 1, scale = 1;

	while (p < e && (p = memchr(p, ';', (size_t)(e - p))) != NULL) {
		for (p++; p < e && *p == ' '; p++)
			;
		if (e - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
			continue;
		p += 2;
		q = 0;
		for (; p < e && isdigit((unsigned char)*p); p++)
			q = q * 10 + (*p - '0');
		if (p < e && *p == '.')
			for (p++; p < e && isdigit((unsigned char)*p); p++)
				q += (*p - '0') * (scale /= 10);
	}
	return q;
}

const char *
render_pick_lang(const char *accept)
{
	double en_q = 0, zh_q = 0;
	int en_pos = -1, zh_pos = -1, pos = 0;
	const char *p = accept;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, ',');
		const char *end = e ? e : p + strlen(p);
		double q;

		while (p < end && *p == ' ')
			p++;
		q = render_q(p, end);
		if (end - p >= 2 && strchr("-; ", p + 2 < end ? p[2] : ' ')) {
			if (strncasecmp(p, "en", 2) == 0 && q > en_q)
				en_q = q, en_pos = pos;
			if (strncasecmp(p, "zh", 2) == 0 && q > zh_q)
				zh_q = q, zh_pos = pos;
		}
		pos++;
		p = e ? e + 1 : NULL;
	}
	if (en_pos >= 0 && (en_q > zh_q || (en_q == zh_q && en_pos < zh_pos)))
		return "en";
	return RENDER_DEFAULT_LANG;
}
