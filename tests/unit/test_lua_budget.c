/*
 * test_lua_budget.c — the Lua sandbox (host/lua.c): the instruction
 * budget survives a script's own pcall, the pattern guards stop
 * backtracking bombs, the memory cap stops hogs, and after each of these
 * the same state serves the next request; plus what the sandbox hides,
 * require of scripts/lib, JSON conversion, the default rules and hot
 * reload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "check.h"
#include "luaenv.h"

static char errbuf[1024];

static const char *
source_dir(void)
{
	const char *d = getenv("JX_SOURCE_DIR");

	return d != NULL && *d != '\0' ? d : JX_SOURCE_DIR;
}

static struct luaenv *
env_for(const char *root, int64_t instructions, int64_t (*now)(void),
        int64_t time_limit_ms)
{
	char scripts[4096], templates[4096];
	struct luaenv_opts o = {0};

	snprintf(scripts, sizeof(scripts), "%s/scripts", root);
	snprintf(templates, sizeof(templates), "%s/templates", root);
	o.scripts_dir = scripts;
	o.templates_dir = templates;
	o.instructions = instructions;
	o.memory_bytes = (size_t)32 << 20;
	o.now = now;
	o.time_limit_ms = time_limit_ms;
	return luaenv_new(&o);
}

/* Runs src as chunk "test"; 0 with its first result as text in out, or
 * -1 with errbuf. */
static int
run(struct luaenv *env, const char *src, char *out, size_t outlen)
{
	lua_State *L = luaenv_state(env);
	int top = lua_gettop(L);

	out[0] = '\0';
	errbuf[0] = '\0';
	if (luaenv_load(env, src, strlen(src), "test", errbuf, sizeof(errbuf)) <
	    0)
		return -1;
	if (luaenv_pcall(env, 0, 1, errbuf, sizeof(errbuf)) < 0) {
		lua_settop(L, top);
		return -1;
	}
	switch (lua_type(L, -1)) {
	case LUA_TSTRING:
		snprintf(out, outlen, "%s", lua_tostring(L, -1));
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1))
			snprintf(out, outlen, "%lld",
			         (long long)lua_tointeger(L, -1));
		else
			snprintf(out, outlen, "%g", lua_tonumber(L, -1));
		break;
	case LUA_TBOOLEAN:
		snprintf(out, outlen, "%s",
		         lua_toboolean(L, -1) ? "true" : "false");
		break;
	default: snprintf(out, outlen, "%s", luaL_typename(L, -1)); break;
	}
	lua_settop(L, top);
	return 0;
}

/* src runs and returns want. */
static void
expect_ok(struct luaenv *env, const char *src, const char *want, int line)
{
	char out[512];
	int rc = run(env, src, out, sizeof(out));

	CHECK(rc == 0);
	if (rc != 0)
		fprintf(stderr, "line %d: %s: unexpected error: %s\n", line,
		        src, errbuf);
	else if (strcmp(out, want) != 0)
		fprintf(stderr, "line %d: %s: got %s\n", line, src, out);
	CHECK_STR(out, want);
}

/* src fails with an error containing needle. */
static void
expect_err(struct luaenv *env, const char *src, const char *needle, int line)
{
	char out[512];
	int rc = run(env, src, out, sizeof(out));

	CHECK(rc == -1);
	CHECK(strstr(errbuf, needle) != NULL);
	if (rc != -1 || strstr(errbuf, needle) == NULL)
		fprintf(stderr,
		        "line %d: %s: wanted an error with \"%s\", "
		        "got rc %d, \"%s\"\n",
		        line, src, needle, rc, errbuf);
}

#define OK(env, src, want) expect_ok(env, src, want, __LINE__)
#define ERR(env, src, needle) expect_err(env, src, needle, __LINE__)
/* The next request on the same worker succeeds. */
#define STILL_OK(env)                                                          \
	OK(env,                                                                \
	   "local t = {} for i = 1, 100 do t[i] = i end "                      \
	   "return #t + 1",                                                    \
	   "101")

static void
test_budget(struct luaenv *env)
{
	STILL_OK(env);
	ERR(env, "while true do end", "instruction budget");
	ERR(env, "while true do end", "test:1:");
	STILL_OK(env);
	ERR(env, "while true do pcall(function() while true do end end) end",
	    "instruction budget");
	STILL_OK(env);
	ERR(env,
	    "while true do\n"
	    "  xpcall(function() while true do end end,\n"
	    "         function(m) return m end)\n"
	    "end",
	    "instruction budget");
	STILL_OK(env);
	/* Catching and retrying forever, the error object a table. */
	ERR(env,
	    "local n = 0\n"
	    "while true do\n"
	    "  local ok = pcall(error, {})\n"
	    "  n = n + 1\n"
	    "end",
	    "instruction budget");
	STILL_OK(env);
	/* Loops inside C functions the hook cannot see into. */
	ERR(env, "table.move({}, 1, 1e12, 1, {})", "instruction budget");
	ERR(env, "return table.concat({}, '', 1, 1e12)", "instruction budget");
	ERR(env, "local s = ('x'):rep(1e6) while true do s:upper() end",
	    "instruction budget");
	STILL_OK(env);
	OK(env, "return #(''):rep(math.maxinteger)", "0");
	/* Parsing is C work as well. */
	ERR(env,
	    "local src = 'return 1' .. (' '):rep(1e6)\n"
	    "while true do load(src) end",
	    "instruction budget");
	STILL_OK(env);
}

static void
test_patterns(struct luaenv *env)
{
	ERR(env, "return string.rep('a', 50):find(('a*'):rep(6) .. 'b')",
	    "pattern too complex");
	STILL_OK(env);
	ERR(env,
	    "local s = ('a'):rep(50)\n"
	    "return s:match(('a*'):rep(6) .. 'b')",
	    "test:2:");
	ERR(env, "return (('a'):rep(50)):gsub(('a*'):rep(6) .. 'b', '')",
	    "pattern too complex");
	ERR(env, "for m in (('a'):rep(50)):gmatch(('a*'):rep(6) .. 'b') do end",
	    "pattern too complex");
	ERR(env, "return ('a'):rep(40):find(('a?'):rep(40) .. ('a'):rep(40))",
	    "pattern too complex");
	/* A pattern error is an ordinary, catchable error. */
	OK(env,
	   "local ok = pcall(string.find, ('a'):rep(50), ('a*'):rep(6) .. "
	   "'b')\n"
	   "return ok",
	   "false");
	STILL_OK(env);
	/* Ordinary patterns on ordinary strings keep working. */
	OK(env,
	   "return ('43010219900101123X'):match("
	   "'^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d[%dXx]$') ~= nil",
	   "true");
	OK(env,
	   "return ('4301021990010112'):match("
	   "'^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d[%dXx]$') == nil",
	   "true");
	OK(env,
	   "local s = ('word  '):rep(20000)\n"
	   "local _, n = s:gsub('%s+', ' ')\n"
	   "return n",
	   "20000");
	OK(env,
	   "local n = 0\n"
	   "for f in ('a,b,,c'):rep(1000, ','):gmatch('([^,]*)') do "
	   "n = n + 1 end\n"
	   "return n",
	   "4000");
	OK(env, "return ('{name} and {x}'):gsub('{(%w+)}', {name = 'N'})",
	   "N and {x}");
	OK(env, "return ('key = value'):match('^(%w+)%s*=%s*(.-)%s*$')", "key");
	OK(env, "return (('x'):rep(100000) .. 'y'):find('y', 1, true)",
	   "100001");
	OK(env, "return ('THE (quick) fox'):find('%((%a+)%)')", "5");
	OK(env, "return ('f(a(b)c)'):match('%b()')", "(a(b)c)");
}

static void
test_memory(struct luaenv *env)
{
	ERR(env, "local t = {} while true do t[#t + 1] = ('x'):rep(1e6) end",
	    "memory");
	STILL_OK(env);
	ERR(env, "return ('x'):rep(1e9)", "memory cap");
	STILL_OK(env);
	ERR(env, "local s = 'x' while true do s = s .. s end", "memory");
	STILL_OK(env);
	ERR(env, "local t = {} for i = 1, 1e7 do t[i] = {i} end", "memory");
	STILL_OK(env);
	/* string.rep under the cap is fine. */
	OK(env, "return #('ab'):rep(1e6)", "2000000");
}

static void
test_sandbox(struct luaenv *env)
{
	lua_State *plain;
	const char *dump;
	size_t len;
	int rc;

	OK(env,
	   "return io == nil and dofile == nil and loadfile == nil and "
	   "package == nil and debug == nil and print == nil and "
	   "coroutine == nil and _G == nil",
	   "true");
	OK(env,
	   "return os.execute == nil and os.getenv == nil and os.exit == nil "
	   "and os.remove == nil and os.rename == nil and type(os.time) == "
	   "'function'",
	   "true");
	OK(env, "return load(string.dump(function() return 1 end)) == nil",
	   "true");
	OK(env,
	   "local f, e = load(string.dump(function() return 1 end))\n"
	   "return e",
	   "attempt to load a binary chunk (mode is 't')");
	OK(env, "return load('return 40 + 2')()", "42");
	OK(env, "load('x = 5')() return x", "nil");
	OK(env, "local e = {} load('x = 5', 'c', 't', e)() return e.x", "5");

	/* A binary chunk from C is refused as well. */
	plain = luaL_newstate();
	luaL_openlibs(plain);
	rc =
	    luaL_dostring(plain, "return string.dump(function() return 7 end)");
	CHECK(rc == LUA_OK);
	dump = lua_tolstring(plain, -1, &len);
	CHECK(luaenv_load(env, dump, len, "bin", errbuf, sizeof(errbuf)) == -1);
	CHECK(strstr(errbuf, "binary") != NULL);
	lua_close(plain);

	/* Nothing a script does reaches the next one. */
	ERR(env, "string.find = nil", "read-only");
	ERR(env, "rawset(string, 'find', print)", "read-only");
	ERR(env, "math.pi = 3", "read-only");
	ERR(env, "table.insert(string, 1)", "read-only");
	ERR(env, "getmetatable('').__index.find = nil", "index a boolean");
	ERR(env, "setmetatable(string, {})", "protected metatable");
	OK(env, "local f, s = pairs(string) return s", "nil");
	OK(env,
	   "local n = 0 for k in pairs(string) do n = n + 1 end "
	   "return n > 10",
	   "true");
	OK(env, "return string.find('abc', 'b') == 2 and math.pi > 3.14",
	   "true");
	OK(env, "leak = 1 return leak", "1");
	OK(env, "return leak", "nil");
	ERR(env, "setmetatable({}, {__gc = function() while true do end end})",
	    "__gc");
	ERR(env, "collectgarbage()", "count");
	OK(env, "return type(collectgarbage('count'))", "number");
	ERR(env, "jx.array(string)", "metatable");

	/* Errors name chunk and line. */
	ERR(env, "local x = nil\nreturn x.y", "test:2:");
	ERR(env, "\n\nerror({})", "test:3:");
	ERR(env, "error('plain', 0)", "plain");
	CHECK(luaenv_load(env, "return +", 8, "syn.lua", errbuf,
	                  sizeof(errbuf)) == -1);
	CHECK(strstr(errbuf, "syn.lua:1:") != NULL);
	ERR(env, "local function f() error('deep') end\nf()", "test:1: deep");
	CHECK(strstr(luaenv_last_error(env), "stack traceback") != NULL);
}

static void
test_require(struct luaenv *env)
{
	OK(env, "return require('text').trim('  a b  ')", "a b");
	OK(env, "return require('text') == require('text')", "true");
	OK(env, "return require('text').mask('43010219900101123X', 3, 4)",
	   "430***********123X");
	OK(env, "return #require('text').split('a,,b', ',')", "3");
	ERR(env, "require('os')", "not found");
	ERR(env, "require('io')", "not found");
	ERR(env, "require('../rules/default')", "bad module name");
	ERR(env, "require('/etc/passwd')", "bad module name");
	ERR(env, "require('rules.default')", "not found");
	ERR(env, "require('Text')", "bad module name");
}

static int64_t
fixed_now(void)
{
	return 1700000000;
}

static void
test_clock_and_time_limit(void)
{
	struct luaenv *env = env_for(source_dir(), 0, fixed_now, 0);

	CHECK(env != NULL);
	OK(env, "return os.time()", "1700000000");
	OK(env, "return os.date('!%Y-%m-%d')", "2023-11-14");
	OK(env, "return os.date('!%Y', 0)", "1970");
	luaenv_free(env);

	/* The wall-clock backstop, with a budget too large to matter. */
	env = env_for(source_dir(), (int64_t)1 << 50, NULL, 50);
	CHECK(env != NULL);
	ERR(env, "while true do end", "time limit");
	STILL_OK(env);
	luaenv_free(env);
}

static void
test_json(struct luaenv *env)
{
	lua_State *L = luaenv_state(env);
	const char *text = "{\"a\":1,\"b\":[1,null,\"x\"],\"c\":{},\"d\":null,"
	                   "\"e\":\"中文\",\"f\":1.5,\"g\":true,\"h\":[]}";
	const char *check = "local v = ...\n"
	                    "return v.a == 1 and math.type(v.a) == 'integer' "
	                    "and #v.b == 3 and v.b[2] == jx.null and v.b[3] "
	                    "== 'x' and v.d == nil and v.e == '中文' and v.f "
	                    "== 1.5 and v.g == true and next(v.c) == nil";
	cJSON *in = cJSON_Parse(text), *out;
	char *printed;
	int top = lua_gettop(L);

	CHECK(in != NULL);
	CHECK(luaenv_load(env, check, strlen(check), "json", errbuf,
	                  sizeof(errbuf)) == 0);
	luaenv_push_json(L, in);
	CHECK(luaenv_pcall(env, 1, 1, errbuf, sizeof(errbuf)) == 0);
	CHECK(lua_toboolean(L, -1));
	lua_settop(L, top);

	luaenv_push_json(L, in);
	out = luaenv_to_json(L, -1);
	lua_settop(L, top);
	CHECK(out != NULL);
	/* The same, less the null member (objects have no order). */
	cJSON_DeleteItemFromObject(in, "d");
	CHECK(cJSON_Compare(in, out, 1));
	cJSON_Delete(out);
	cJSON_Delete(in);

	/* What JSON cannot say. */
	static const char *const bad[] = {"return function() end",
	                                  "return {[1] = 1, [3] = 3}",
	                                  "return {a = 1, [1] = 2}",
	                                  "return 0/0",
	                                  "return 'a\\255b'",
	                                  "return {f = type}",
	                                  NULL};
	for (int i = 0; bad[i] != NULL; i++) {
		CHECK(luaenv_load(env, bad[i], strlen(bad[i]), "bad", errbuf,
		                  sizeof(errbuf)) == 0);
		CHECK(luaenv_pcall(env, 0, 1, errbuf, sizeof(errbuf)) == 0);
		out = luaenv_to_json(L, -1);
		CHECK(out == NULL);
		if (out != NULL)
			fprintf(stderr, "representable: %s\n", bad[i]);
		cJSON_Delete(out);
		lua_settop(L, top);
	}
	static const char *const good[][2] = {
	    {"return {}", "[]"},
	    {"return jx.object()", "{}"},
	    {"return jx.array({})", "[]"},
	    {"return {1, 2, {x = 'y'}}", "[1,2,{\"x\":\"y\"}]"},
	    {"return nil", "null"},
	    {"return jx.null", "null"},
	    {NULL, NULL}};
	for (int i = 0; good[i][0] != NULL; i++) {
		CHECK(luaenv_load(env, good[i][0], strlen(good[i][0]), "good",
		                  errbuf, sizeof(errbuf)) == 0);
		CHECK(luaenv_pcall(env, 0, 1, errbuf, sizeof(errbuf)) == 0);
		out = luaenv_to_json(L, -1);
		lua_settop(L, top);
		CHECK(out != NULL);
		printed = out ? cJSON_PrintUnformatted(out) : NULL;
		CHECK_STR(printed, good[i][1]);
		free(printed);
		cJSON_Delete(out);
	}
}

static void
test_rules(struct luaenv *env)
{
	cJSON *args = cJSON_CreateArray(), *res = NULL;

	cJSON_AddItemToArray(args, cJSON_CreateString("abc"));
	CHECK(luaenv_call_rule(env, "password_policy", args, &res, errbuf,
	                       sizeof(errbuf)) == 0);
	CHECK(cJSON_IsString(res));
	cJSON_Delete(res);
	cJSON_DeleteItemFromArray(args, 0);
	cJSON_AddItemToArray(args, cJSON_CreateString("abcdefg1"));
	CHECK(luaenv_call_rule(env, "password_policy", args, &res, errbuf,
	                       sizeof(errbuf)) == 0);
	CHECK(cJSON_IsNull(res));
	cJSON_Delete(res);
	CHECK(luaenv_call_rule(env, "no_such_rule", NULL, &res, errbuf,
	                       sizeof(errbuf)) == -1);
	CHECK(strstr(errbuf, "no_such_rule") != NULL);
	CHECK(res == NULL);
	cJSON_Delete(args);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* Moves path's mtime forward, as an edit a little later would. */
static void
touch_forward(const char *path, int seconds)
{
	struct stat st;
	struct timeval tv[2];

	CHECK(stat(path, &st) == 0);
	tv[0].tv_sec = tv[1].tv_sec = st.st_mtime + seconds;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	CHECK(utimes(path, tv) == 0);
}

static void
test_reload(void)
{
	char root[] = "/tmp/jx-luaenv-XXXXXX", path[4096], dir[4096];
	cJSON *res = NULL;
	struct luaenv *env;

	CHECK(mkdtemp(root) != NULL);
	snprintf(dir, sizeof(dir), "%s/scripts", root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/scripts/lib", root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/scripts/rules", root);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/scripts/lib/m.lua", root);
	write_file(path, "return { v = 1 }");
	snprintf(dir, sizeof(dir), "%s/scripts/rules/default.lua", root);
	write_file(dir, "local m = require('m')\n"
	                "return { v = function() return 'r' .. m.v end }");

	env = env_for(root, 0, NULL, 0);
	CHECK(env != NULL);
	OK(env, "return require('m').v", "1");
	CHECK(luaenv_call_rule(env, "v", NULL, &res, errbuf, sizeof(errbuf)) ==
	      0);
	CHECK_STR(res ? res->valuestring : NULL, "r1");
	cJSON_Delete(res);

	/* A scripts/lib change reloads the module (and the rules that
	 * hold it) on the next refresh, not before. */
	write_file(path, "return { v = 2 }");
	touch_forward(path, 10);
	OK(env, "return require('m').v", "1");
	luaenv_refresh_now(env);
	OK(env, "return require('m').v", "2");
	CHECK(luaenv_call_rule(env, "v", NULL, &res, errbuf, sizeof(errbuf)) ==
	      0);
	CHECK_STR(res ? res->valuestring : NULL, "r2");
	cJSON_Delete(res);

	/* The default rules reload on SIGHUP's generation bump only. */
	write_file(dir, "return { v = function() return 'new' end }");
	touch_forward(dir, 10);
	luaenv_refresh_now(env);
	CHECK(luaenv_call_rule(env, "v", NULL, &res, errbuf, sizeof(errbuf)) ==
	      0);
	CHECK_STR(res ? res->valuestring : NULL, "r2");
	cJSON_Delete(res);
	luaenv_reload_rules();
	luaenv_refresh_now(env);
	CHECK(luaenv_call_rule(env, "v", NULL, &res, errbuf, sizeof(errbuf)) ==
	      0);
	CHECK_STR(res ? res->valuestring : NULL, "new");
	cJSON_Delete(res);

	/* A broken rules file is an error, and the worker goes on. */
	write_file(dir, "return {\n  v = function() return end end\n}");
	luaenv_reload_rules();
	luaenv_refresh_now(env);
	CHECK(luaenv_call_rule(env, "v", NULL, &res, errbuf, sizeof(errbuf)) ==
	      -1);
	CHECK(strstr(errbuf, "scripts/rules/default.lua:2:") != NULL);
	STILL_OK(env);
	luaenv_free(env);

	unlink(path);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/scripts/lib", root);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/scripts/rules", root);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/scripts", root);
	rmdir(dir);
	rmdir(root);
}

int
main(void)
{
	/* The wall-clock backstop far away (10 min): these tests are about
	 * the instruction budget and the guards, which a loaded machine
	 * (an ASan build beside other builds) reaches in more than the
	 * default 10 s of wall time. test_clock_and_time_limit tests the
	 * backstop itself. */
	struct luaenv *env = env_for(source_dir(), 0, NULL, 600000);

	CHECK(env != NULL);
	if (env == NULL)
		return check_done();
	test_budget(env);
	test_patterns(env);
	test_memory(env);
	test_sandbox(env);
	test_require(env);
	test_json(env);
	test_rules(env);
	luaenv_free(env);
	test_clock_and_time_limit();
	test_reload();
	return check_done();
}
