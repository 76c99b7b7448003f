/*
 * test_render.c — templates (host/render.c): escaping by default, raw
 * only when spelled out, control flow and includes, errors that name the
 * template and line and leave the worker usable, the page layout (CSRF
 * meta tag, lang, identity switcher), i18n lookups and the catalogs kept
 * in sync, and hot reload of changed files.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "check.h"
#include "luaenv.h"
#include "render.h"

static char errbuf[1024];
static char tmp_root[] = "/tmp/jx-render-XXXXXX";

static const char *
source_dir(void)
{
	const char *d = getenv("JX_SOURCE_DIR");

	return d != NULL && *d != '\0' ? d : JX_SOURCE_DIR;
}

static struct luaenv *
env_for(const char *root)
{
	char scripts[4096], templates[4096];
	struct luaenv_opts o = {0};

	snprintf(scripts, sizeof(scripts), "%s/scripts", root);
	snprintf(templates, sizeof(templates), "%s/templates", root);
	o.scripts_dir = scripts;
	o.templates_dir = templates;
	return luaenv_new(&o);
}

/* Writes templates/<rel> under the temporary root. */
static void
put(const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/templates/%s", tmp_root, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

static void
touch_forward(const char *rel, int seconds)
{
	char path[4096];
	struct stat st;
	struct timeval tv[2];

	snprintf(path, sizeof(path), "%s/templates/%s", tmp_root, rel);
	CHECK(stat(path, &st) == 0);
	tv[0].tv_sec = tv[1].tv_sec = st.st_mtime + seconds;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	CHECK(utimes(path, tv) == 0);
}

/* Renders name with data (JSON text or NULL); returns the output (static)
 * or NULL on error (then errbuf says why). */
static const char *
render(struct luaenv *env, const char *name, const char *json)
{
	static struct buf out;
	cJSON *data = json ? cJSON_Parse(json) : NULL;
	int rc;

	CHECK(json == NULL || data != NULL);
	buf_reset(&out);
	buf_append(&out, "", 0);
	errbuf[0] = '\0';
	rc = render_template(env, name, data, NULL, &out, errbuf,
	                     sizeof(errbuf));
	cJSON_Delete(data);
	if (rc < 0) {
		CHECK(out.len == 0); /* nothing half-rendered */
		return NULL;
	}
	return out.data;
}

static void
expect(struct luaenv *env, const char *name, const char *json, const char *want,
       int line)
{
	const char *got = render(env, name, json);

	if (got == NULL)
		fprintf(stderr, "line %d: %s failed: %s\n", line, name, errbuf);
	CHECK_STR(got, want);
}

static void
expect_fail(struct luaenv *env, const char *name, const char *json,
            const char *needle, int line)
{
	const char *got = render(env, name, json);

	CHECK(got == NULL);
	CHECK(strstr(errbuf, needle) != NULL);
	if (got != NULL || strstr(errbuf, needle) == NULL)
		fprintf(stderr,
		        "line %d: %s: wanted an error with \"%s\", "
		        "got \"%s\"\n",
		        line, name, needle, got ? got : errbuf);
}

#define EXPECT(env, name, json, want) expect(env, name, json, want, __LINE__)
#define FAILS(env, name, json, needle)                                         \
	expect_fail(env, name, json, needle, __LINE__)
/* The worker still renders a good template. */
#define STILL_OK(env) EXPECT(env, "esc", "{\"v\":\"<i>\"}", "<p>&lt;i&gt;</p>")

static void
test_escaping(struct luaenv *env)
{
	const char *out;
	struct buf b;

	put("esc.html", "<p>{{ v }}</p>");
	EXPECT(env, "esc", "{\"v\":\"<script>alert(1)</script>\"}",
	       "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
	out = render(env, "esc", "{\"v\":\"<script>alert(1)</script>\"}");
	CHECK(out != NULL && strstr(out, "<script") == NULL);
	EXPECT(env, "esc", "{\"v\":\"&\\\"'\"}", "<p>&amp;&quot;&#39;</p>");
	put("attr.html", "<a title=\"{{ v }}\">x</a>");
	EXPECT(env, "attr", "{\"v\":\"\\\" onmouseover=\\\"alert(1)\"}",
	       "<a title=\"&quot; onmouseover=&quot;alert(1)\">x</a>");

	/* Raw only when spelled out. */
	put("raw.html", "{{= h }}|{{ raw(h) }}|{{ h }}|{{ escape(h) }}");
	EXPECT(env, "raw", "{\"h\":\"<b>x</b>\"}",
	       "<b>x</b>|<b>x</b>|&lt;b&gt;x&lt;/b&gt;|&amp;lt;b&amp;gt;x&amp;"
	       "lt;/b&amp;gt;");
	put("raw_concat.html", "{{ raw(h) .. '<i>' }}");
	FAILS(env, "raw_concat", "{\"h\":\"<b>\"}", "concatenate");

	buf_init(&b);
	render_escape(&b, "a<b>&\"'z", 8);
	CHECK_STR(b.data, "a&lt;b&gt;&amp;&quot;&#39;z");
	buf_free(&b);
}

static void
test_values_and_flow(struct luaenv *env)
{
	put("values.html",
	    "[{{ missing }}][{{ n }}][{{ f }}][{{ b }}][{{ z }}]"
	    "{% for _, x in ipairs(arr or {}) do %}({{ x }}){% end %}");
	EXPECT(
	    env, "values",
	    "{\"n\":3,\"f\":1.5,\"b\":true,\"z\":null,\"arr\":[1,null,\"a\"]}",
	    "[][3][1.5][true][](1)()(a)");
	EXPECT(env, "values", NULL, "[][][][][]");
	/* Integers as tostring prints them, to both ends of the range. */
	put("ints.html", "{{ 0 }} {{ -7 }} {{ 1234567890 }} {{ n }} "
	                 "{{ math.maxinteger }} {{ math.mininteger }}");
	EXPECT(env, "ints", "{\"n\":-100}",
	       "0 -7 1234567890 -100 9223372036854775807 "
	       "-9223372036854775808");

	put("flow.html", "{% for i, p in ipairs(items) do %}\n"
	                 "<li>{{ i }}:{{ p.name }}</li>\n"
	                 "{% end %}\n"
	                 "{% if show then %}yes{% else %}no{% end %}\n");
	EXPECT(
	    env, "flow",
	    "{\"items\":[{\"name\":\"a\"},{\"name\":\"<b>\"}],\"show\":false}",
	    "<li>1:a</li>\n<li>2:&lt;b&gt;</li>\nno\n");
	EXPECT(env, "flow", "{\"items\":[],\"show\":true}", "yes\n");

	put("lexing.html", "a{{# hidden }}b|{{ v -- a comment }}|"
	                   "{{ ({a = {1}}).a[1] }}|{{ \"{{\" }}|{{ '}}' }}|"
	                   "{% local s = [[%}]] %}{{ s }}");
	EXPECT(env, "lexing", "{\"v\":\"V\"}", "ab|V|1|{{|}}|%}");

	put("partials/row.html", "<i>{{ name }}</i>");
	put("partials/who.html", "{{ who }}");
	put("inc.html", "{% include \"partials/row\" %}|"
	                "{% include(\"partials/row\", {name = \"x\"}) %}|"
	                "{% who = \"g\" %}{% include 'partials/who' %}|"
	                "{% for _, n in ipairs({\"p\", \"q\"}) do %}"
	                "{% include(\"partials/row\", {name = n}) %}{% end %}");
	EXPECT(env, "inc", "{\"name\":\"n<\"}",
	       "<i>n&lt;</i>|<i>x</i>|g|<i>p</i><i>q</i>");

	/* An include's extra variables: a table held elsewhere is not
	 * changed (its copy falls back to the includer's); a constructor
	 * (taken as it is) falls back the same, whatever its strings hold,
	 * and a global set inside stays in the include. */
	put("partials/set.html", "{% y = 'set' %}{{ lang }}{{ x }}");
	put("inc_vars.html",
	    "{% local v = {name = \"v\"} %}{% include(\"partials/row\", v) %}"
	    "[{{ v.lang }}]|"
	    "{% include(\"partials/row\", { name = \"a,}{\" .. 'b)' }) %}|"
	    "{% include(\"partials/set\", { x = ({1, 2})[2] }) %}[{{ y }}]|"
	    "{% include(\"partials/set\", { x = 3 }, nil) %}[{{ y }}]");
	EXPECT(env, "inc_vars", NULL,
	       "<i>v</i>[]|<i>a,}{b)</i>|zh-CN2[]|zh-CN3[]");

	put("t.html", "{{ t('x.key') }}|{{ lang }}");
	EXPECT(env, "t", NULL, "x.key|zh-CN");

	/* Absent variables are nil, whatever Lua global shares the name;
	 * the few globals templates need are there. */
	put("names.html",
	    "{% if error then %}E{% end %}[{{ next }}][{{ type }}]"
	    "[{{ select }}][{{ load }}]{{ error }}|"
	    "{{ string.upper('a') }}{{ math.max(1, 2) }}"
	    "{{ tostring(#jx) }}{{ os.date('!%Y', 0) }}"
	    "{{ require('tmod').hi() }}");
	EXPECT(env, "names", NULL, "[][][][]|A201970x");
	EXPECT(env, "names", "{\"error\":\"bad\",\"next\":\"/n\"}",
	       "E[/n][][][]bad|A201970x");
}

static void
test_errors(struct luaenv *env)
{
	char path[4096];
	struct buf out;

	put("bad_syntax.html", "line1\nline2\n{{ x + }}\n");
	FAILS(env, "bad_syntax", NULL, "templates/bad_syntax.html:3:");
	STILL_OK(env);
	put("unclosed.html", "a\n{{ x \n");
	FAILS(env, "unclosed", NULL,
	      "templates/unclosed.html:2: unclosed '{{'");
	put("unclosed2.html", "a\nb\n{% if x then \n");
	FAILS(env, "unclosed2", NULL, "templates/unclosed2.html:3:");
	put("noend.html", "{% if x then %}\nx\n");
	FAILS(env, "noend", NULL, "templates/noend.html:");
	put("empty.html", "{{ }}");
	FAILS(env, "empty", NULL, "templates/empty.html:1: empty");
	put("bad_runtime.html", "a\nb\n{{ nothing.field }}\n");
	FAILS(env, "bad_runtime", NULL, "templates/bad_runtime.html:3:");
	STILL_OK(env);
	/* Lines stay the template's after comments and eaten lines. */
	put("lines.html", "{{# c\n\n}}\n{% x = 1 %}\n\n{{ x.y }}\n");
	FAILS(env, "lines", NULL, "templates/lines.html:6:");
	put("table.html", "{{ items }}");
	FAILS(env, "table", "{\"items\":[1]}", "cannot print a table");
	put("loop.html", "{% while true do end %}");
	FAILS(env, "loop", NULL, "instruction budget");
	STILL_OK(env);
	put("self.html", "{% include \"self\" %}");
	FAILS(env, "self", NULL, "levels");
	put("inc_missing.html", "x\n{% include \"partials/none\" %}");
	FAILS(env, "inc_missing", NULL,
	      "templates/inc_missing.html:2: template 'partials/none' not "
	      "found");
	put("big.html", "{% local big = ('x'):rep(100000) %}"
	                "{% for i = 1, 1000 do %}{{= big }}{% end %}");
	FAILS(env, "big", NULL, "output exceeds");
	STILL_OK(env);
	FAILS(env, "no_such_template", NULL,
	      "template 'no_such_template' not found");
	FAILS(env, "../etc/passwd", NULL, "bad template name");
	FAILS(env, "Home", NULL, "bad template name");
	FAILS(env, "a..b", NULL, "bad template name");
	FAILS(env, "/esc", NULL, "bad template name");
	FAILS(env, "", NULL, "bad template name");
	STILL_OK(env);

	/* An error leaves what out held before untouched. */
	buf_init(&out);
	buf_puts(&out, "kept");
	CHECK(render_template(env, "bad_runtime", NULL, NULL, &out, errbuf,
	                      sizeof(errbuf)) == -1);
	CHECK_STR(out.data, "kept");
	buf_free(&out);
	snprintf(path, sizeof(path), "%s/templates/big.html", tmp_root);
	unlink(path);
}

static void
test_reload(struct luaenv *env)
{
	put("hot.html", "v1 {{ x }}");
	EXPECT(env, "hot", "{\"x\":1}", "v1 1");
	put("hot.html", "v2 changed {{ x }}");
	touch_forward("hot.html", 10);
	/* Compiled once: the change shows only after a refresh. */
	EXPECT(env, "hot", "{\"x\":1}", "v1 1");
	luaenv_refresh_now(env);
	EXPECT(env, "hot", "{\"x\":1}", "v2 changed 1");

	/* An included partial reloads on its own. */
	put("partials/row.html", "<b>{{ name }}</b>");
	touch_forward("partials/row.html", 10);
	luaenv_refresh_now(env);
	put("inc2.html", "{% include \"partials/row\" %}");
	EXPECT(env, "inc2", "{\"name\":\"n\"}", "<b>n</b>");

	/* Catalogs too, and a catalog that appears later is found. */
	CHECK_STR(render_t(env, "zh-CN", "greet"), "greet");
	put("i18n/zh-CN.lua", "return { greet = '一', only_zh = '中' }");
	luaenv_refresh_now(env);
	CHECK_STR(render_t(env, "zh-CN", "greet"), "一");
	put("i18n/zh-CN.lua", "return { greet = '二', only_zh = '中' }");
	touch_forward("i18n/zh-CN.lua", 10);
	luaenv_refresh_now(env);
	CHECK_STR(render_t(env, "zh-CN", "greet"), "二");
	put("i18n/en.lua", "return { greet = 'two' }");
	luaenv_refresh_now(env);
	CHECK_STR(render_t(env, "en", "greet"), "two");
	/* en falls back to zh-CN, then to the key. */
	CHECK_STR(render_t(env, "en", "only_zh"), "中");
	CHECK_STR(render_t(env, "en", "nowhere"), "nowhere");
	/* A broken catalog: the render fails clearly, lookups give keys. */
	put("i18n/en.lua", "return { greet = }");
	touch_forward("i18n/en.lua", 20);
	luaenv_refresh_now(env);
	CHECK_STR(render_t(env, "en", "greet"), "greet");
	put("tl.html", "{{ t('greet') }}");
	{
		struct buf out;

		buf_init(&out);
		CHECK(render_template(env, "tl", NULL, "en", &out, errbuf,
		                      sizeof(errbuf)) == -1);
		CHECK(strstr(errbuf, "templates/i18n/en.lua:1:") != NULL);
		CHECK(render_template(env, "tl", NULL, "zh-CN", &out, errbuf,
		                      sizeof(errbuf)) == 0);
		CHECK_STR(out.data, "二");
		buf_free(&out);
	}
}

/* A plugin's own templates folder (/opt/x/awards/templates): its names
 * after the top-level ones, only under the plugin's name; its catalog's
 * keys after the top-level catalog's; both reloaded when changed. */
static void
test_plugin_templates(void)
{
	char dir[4096];
	struct luaenv_plugin_templates pt = {"awards", dir};
	struct luaenv_opts o = {0};
	char scripts[4096], templates[4096];
	struct luaenv *env;

	snprintf(scripts, sizeof(scripts), "%s/scripts", tmp_root);
	snprintf(templates, sizeof(templates), "%s/templates", tmp_root);
	snprintf(dir, sizeof(dir), "%s/templates/awards", tmp_root);
	mkdir(dir, 0700); /* the top-level folder of the same name */
	snprintf(dir, sizeof(dir), "%s/plug", tmp_root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/plug/awards", tmp_root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/plug/i18n", tmp_root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/plug", tmp_root);
	/* put() writes under templates/: "../plug" reaches the plugin's */
	put("../plug/awards/list.html", "list {{ t('awards.title') }}");
	put("../plug/awards/both.html", "plugin's");
	put("awards/both.html", "top-level");
	put("../plug/esc.html", "not the plugin's name");
	put("../plug/i18n/zh-CN.lua",
	    "return { ['awards.title'] = '奖项', greet = 'plugin' }");
	put("../plug/i18n/en.lua", "return { ['awards.title'] = 'Awards' }");
	/* test_reload left a broken top-level en.lua */
	put("i18n/en.lua", "return { greet = 'two' }");
	touch_forward("i18n/en.lua", 30);
	o.scripts_dir = scripts;
	o.templates_dir = templates;
	o.plugin_templates = &pt;
	o.nplugin_templates = 1;
	env = luaenv_new(&o);
	CHECK(env != NULL);
	if (env == NULL)
		return;
	/* copied: the caller's strings may go */
	snprintf(dir, sizeof(dir), "/nowhere");
	EXPECT(env, "awards/list", NULL, "list 奖项");
	EXPECT(env, "awards/both", NULL, "top-level");
	/* only names under "awards/": the top-level esc stays */
	STILL_OK(env);
	FAILS(env, "awards/none", NULL, "template 'awards/none' not found");
	CHECK_STR(render_t(env, "en", "awards.title"), "Awards");
	/* the top-level catalog wins (test_reload left greet = '二') */
	CHECK_STR(render_t(env, "zh-CN", "greet"), "二");
	/* hot reload of the plugin's files */
	put("../plug/awards/list.html", "list2 {{ t('awards.title') }}");
	touch_forward("../plug/awards/list.html", 10);
	put("../plug/i18n/zh-CN.lua", "return { ['awards.title'] = '奖' }");
	touch_forward("../plug/i18n/zh-CN.lua", 10);
	luaenv_refresh_now(env);
	EXPECT(env, "awards/list", NULL, "list2 奖");
	/* a broken plugin template names its file */
	put("../plug/awards/bad.html", "{{ nil + 1 }}");
	FAILS(env, "awards/bad", NULL, "/plug/awards/bad.html:1:");
	luaenv_free(env);
}

/* render_page on the repository's templates; returns the page. */
static char *
page(struct luaenv *env, const char *name, const char *data,
     const char *pagejson, const char *lang)
{
	cJSON *d = data ? cJSON_Parse(data) : NULL;
	cJSON *p = cJSON_Parse(pagejson);
	struct buf out;
	int rc;

	CHECK(p != NULL);
	buf_init(&out);
	rc = render_page(env, name, d, p, lang, &out, errbuf, sizeof(errbuf));
	cJSON_Delete(d);
	cJSON_Delete(p);
	CHECK(rc == 0);
	if (rc != 0) {
		fprintf(stderr, "render_page %s: %s\n", name, errbuf);
		buf_free(&out);
		return NULL;
	}
	return out.data;
}

static void
contains(const char *html, const char *needle, int want, int line)
{
	int has = html != NULL && strstr(html, needle) != NULL;

	CHECK(has == want);
	if (has != want)
		fprintf(stderr, "line %d: %s \"%s\"\n", line,
		        want ? "missing" : "unexpected", needle);
}

#define HAS(html, s) contains(html, s, 1, __LINE__)
#define LACKS(html, s) contains(html, s, 0, __LINE__)

static void
test_page(struct luaenv *env)
{
	const char *full =
	    "{\"title\":\"测试\",\"csrf_token\":\"tok<&>\","
	    "\"user\":{\"name\":\"张老师\"},"
	    "\"identities\":[{\"id\":1,\"label\":\"教师 · 一中\"},"
	    "{\"id\":2,\"label\":\"家长 · 小明\"}],"
	    "\"acting_identity_id\":2,\"path\":\"/x\",\"here\":\"/x?y=1&z\","
	    "\"menu\":[{\"label\":\"通知\",\"href\":\"/notices\","
	    "\"active\":true},{\"label_key\":\"nav.home\",\"href\":\"/\"}]}";
	char *html;

	html = page(
	    env, "home",
	    "{\"items\":[{\"title\":\"未读通知\",\"count\":2,"
	    "\"href\":\"/inbox\",\"done\":false},{\"title\":\"小红的通知\","
	    "\"detail\":\"<b>\",\"count\":0,\"href\":\"/inbox\","
	    "\"done\":true,\"identity_id\":3}]}",
	    full, "zh-CN");
	CHECK(html != NULL && strncmp(html, "<!doctype html>\n", 16) == 0);
	HAS(html, "<html lang=\"zh-CN\">");
	HAS(html, "<meta charset=\"utf-8\">");
	HAS(html, "<meta name=\"viewport\" content=\"width=device-width, "
	          "initial-scale=1, viewport-fit=cover\">");
	HAS(html, "<meta name=\"csrf-token\" content=\"tok&lt;&amp;&gt;\">");
	HAS(html, "<title>测试 · 家校</title>");
	HAS(html, "<link rel=\"stylesheet\" href=\"/static/app.css\">");
	HAS(html, "href=\"#main\"");
	HAS(html, "<main id=\"main\"");
	HAS(html, "张老师");
	/* The identity sheet: the acting identity in the bar and marked
	 * 当前; the other one a form that comes back to this page. */
	HAS(html, "<details class=\"jx-sheet user-menu\">");
	HAS(html, "<span class=\"identity-current\">家长 · 小明</span>");
	HAS(html, "aria-current=\"true\"><span class=\"jx-cell-main\"><span "
	          "class=\"jx-cell-title\">家长 · 小明</span></span><span "
	          "class=\"jx-tag\">当前</span>");
	HAS(html, "<form class=\"identity-switch\" method=\"post\" "
	          "action=\"/me/identity\"><input type=\"hidden\" "
	          "name=\"csrf_token\" value=\"tok&lt;&amp;&gt;\"><input "
	          "type=\"hidden\" name=\"next\" value=\"/x?y=1&amp;z\">");
	HAS(html, "<button type=\"submit\" name=\"identity_id\" value=\"1\" "
	          "class=\"jx-cell-link\">");
	LACKS(html, "name=\"identity_id\" value=\"2\"");
	/* The title bar: back to home (no page.back), the title. */
	HAS(html, "<a class=\"jx-back\" href=\"/\" data-jx-back>");
	HAS(html, "<span class=\"jx-title\" aria-hidden=\"true\">测试</span>");
	HAS(html, "<div class=\"jx-toast\" id=\"jx-toast\" role=\"status\" "
	          "aria-live=\"polite\"></div>");
	HAS(html, "<dialog class=\"jx-confirm\"");
	LACKS(html, "jx-tabbar");
	LACKS(html, "has-tabs");
	HAS(html, "<nav class=\"site-nav\" aria-label=\"主菜单\">");
	HAS(html, "<a href=\"/notices\" aria-current=\"page\">通知</a>");
	HAS(html, "<a href=\"/\">首页</a>");
	/* the home page's to-dos: cells, a badge above 0, a switch to
	 * another identity as a form, text escaped */
	HAS(html, "待办事项");
	HAS(html, "<li class=\"jx-cell\"><a class=\"jx-cell-link\" "
	          "href=\"/inbox\"><span class=\"jx-cell-main\"><span "
	          "class=\"jx-cell-title\">未读通知</span></span><span "
	          "class=\"jx-badge\">2</span></a></li>");
	HAS(html, "<input type=\"hidden\" name=\"identity_id\" value=\"3\">");
	HAS(html, "<span class=\"jx-cell-detail\">&lt;b&gt;</span>");
	LACKS(html, "欢迎使用家校");
	HAS(html, "lang=\"en\"");
	HAS(html, "<script src=\"/static/jx.js\" defer></script>");
	LACKS(html, "<script>");
	LACKS(html, "href=\"/login\"");
	LACKS(html, "http://");
	LACKS(html, "https://");
	LACKS(html, "\n\n\n");
	free(html);

	html = page(env, "home", NULL, full, "en");
	HAS(html, "<html lang=\"en\">");
	HAS(html, "<title>测试 · Jiaxiao</title>");
	HAS(html, "Welcome to Jiaxiao");
	free(html);

	html = page(env, "home", NULL, "{\"title_key\":\"nav.home\"}", "fr");
	HAS(html, "<html lang=\"zh-CN\">");
	HAS(html, "<title>首页 · 家校</title>");
	free(html);

	/* Nobody logged in: the login link, no switcher. */
	html = page(env, "home", NULL, "{\"csrf_token\":\"t\"}", NULL);
	HAS(html, "<a class=\"login-link\" href=\"/login\">登录</a>");
	HAS(html, "<title>家校</title>");
	LACKS(html, "identity-switch");
	LACKS(html, "/me/identity");
	LACKS(html, "/logout");
	free(html);

	/* One identity: shown, nothing to switch. */
	html = page(env, "home", NULL,
	            "{\"user\":{\"name\":\"李家长\"},\"identities\":[{\"id\":"
	            "5,\"label\":\"家长 · 小红\"}],\"acting_identity_id\":5}",
	            "zh-CN");
	HAS(html, "家长 · 小红");
	HAS(html, "action=\"/logout\"");
	LACKS(html, "<select");
	LACKS(html, "identity-switch");
	free(html);

	/* The tab bar from page.tabs; the menu moves into the sheet; a
	 * flash shows as the toast; page.back leads the back link. */
	html =
	    page(env, "home", NULL,
	         "{\"user\":{\"name\":\"李家长\"},\"path\":\"/inbox\","
	         "\"back\":\"/children\",\"flash\":\"已切换身份\","
	         "\"identities\":[{\"id\":5,\"label\":\"家长 · 小红\"}],"
	         "\"acting_identity_id\":5,\"menu\":[{\"label\":\"我的通知\","
	         "\"href\":\"/inbox\",\"active\":true}],\"tabs\":["
	         "{\"href\":\"/\",\"label_key\":\"nav.home\",\"icon\":"
	         "\"home\"},{\"href\":\"/inbox\",\"label\":\"消息\","
	         "\"icon\":\"inbox\",\"badge\":120,\"active\":true},"
	         "{\"href\":\"/me\",\"label\":\"我的\",\"icon\":\"me\","
	         "\"badge\":0}]}",
	         "zh-CN");
	HAS(html, "<body class=\"signed-in has-tabs\">");
	HAS(html, "<nav class=\"jx-tabbar\" aria-label=\"底部导航\">");
	HAS(html,
	    "<li><a href=\"/\"><svg class=\"jx-icon\" aria-hidden=\"true\" "
	    "focusable=\"false\"><use href=\"/static/icons.svg#home\">"
	    "</use></svg><span class=\"jx-tab-label\">首页</span></a></li>");
	HAS(html, "<a href=\"/inbox\" aria-current=\"page\"><svg");
	HAS(html, "消息</span><span class=\"jx-badge\">99+</span></a>");
	HAS(html, "我的</span></a>");
	HAS(html, "<nav class=\"site-nav beside-tabs\"");
	HAS(html, "<ul class=\"jx-cells sheet-menu\"");
	HAS(html, "<a class=\"jx-back\" href=\"/children\" data-jx-back>");
	HAS(html, "<div class=\"jx-toast is-shown\" id=\"jx-toast\" "
	          "role=\"status\" aria-live=\"polite\">已切换身份</div>");
	free(html);

	html = page(env, "error", "{\"status\":404,\"detail\":\"没有 <x>\"}",
	            "{\"title_key\":\"error.404\"}", "zh-CN");
	HAS(html, "页面不存在");
	HAS(html, "404");
	HAS(html, "没有 &lt;x&gt;");
	HAS(html, "<a href=\"/\">返回首页</a>");
	free(html);
	html = page(env, "error",
	            "{\"status\":500,\"title\":\"坏了\",\"detail\":\"d\"}",
	            "{}", "en");
	HAS(html, "坏了");
	HAS(html, "Error code 500");
	free(html);
}

/* The components' partials (templates/README.md, "Components"). */
static void
test_components(struct luaenv *env)
{
	const char *html;

	html = render(env, "partials/cell",
	              "{\"cell\":{\"href\":\"/inbox\",\"title\":\"未读<通知>\","
	              "\"detail\":\"3 条\",\"badge\":7,\"icon\":\"inbox\"}}");
	HAS(html, "<li class=\"jx-cell\"><a class=\"jx-cell-link\" "
	          "href=\"/inbox\"><svg class=\"jx-icon jx-cell-icon\" "
	          "aria-hidden=\"true\" focusable=\"false\"><use "
	          "href=\"/static/icons.svg#inbox\"></use></svg><span "
	          "class=\"jx-cell-main\"><span class=\"jx-cell-title\">"
	          "未读&lt;通知&gt;</span><span class=\"jx-cell-detail\">3 条"
	          "</span></span><span class=\"jx-badge\">7</span></a></li>");
	html = render(env, "partials/cell", "{\"cell\":{\"title\":\"x\"}}");
	HAS(html, "<li class=\"jx-cell\"><span class=\"jx-cell-body\"><span "
	          "class=\"jx-cell-main\"><span class=\"jx-cell-title\">x"
	          "</span></span></span></li>");
	LACKS(html, "jx-badge");
	html = render(env, "partials/badge", "{\"badge\":100}");
	CHECK_STR(html, "<span class=\"jx-badge\">99+</span>\n");
	html = render(env, "partials/badge", "{\"badge\":99}");
	CHECK_STR(html, "<span class=\"jx-badge\">99</span>\n");
	html = render(env, "partials/badge", "{\"badge\":0}");
	CHECK_STR(html, "");
	html = render(env, "partials/badge", "{}");
	CHECK_STR(html, "");
	html = render(env, "partials/empty", "{}");
	HAS(html, "<div class=\"jx-empty\">");
	HAS(html, "<p>暂无内容</p>");
	LACKS(html, "<a");
	html = render(env, "partials/empty",
	              "{\"empty\":{\"text\":\"没有通知\",\"href\":\"/n\","
	              "\"action\":\"写通知\"}}");
	HAS(html, "<p>没有通知</p>");
	HAS(html, "<a class=\"button\" href=\"/n\">写通知</a>");
	html = render(env, "partials/form_row",
	              "{\"row\":{\"id\":\"phone\",\"label\":\"手机号\","
	              "\"type\":\"tel\",\"inputmode\":\"numeric\","
	              "\"value\":\"1\\\"3\",\"hint\":\"11 位\","
	              "\"error\":\"手机号不对\"}}");
	HAS(html, "<div class=\"jx-form-row has-error\">");
	HAS(html, "<label for=\"phone\">手机号</label>");
	HAS(html, "<input id=\"phone\" name=\"phone\" type=\"tel\" "
	          "value=\"1&quot;3\" inputmode=\"numeric\" "
	          "aria-describedby=\"phone-hint phone-error\" "
	          "aria-invalid=\"true\">");
	HAS(html, "<p class=\"jx-hint\" id=\"phone-hint\">11 位</p>");
	HAS(html, "<p class=\"jx-error\" id=\"phone-error\">手机号不对</p>");
	html = render(env, "partials/form_row",
	              "{\"row\":{\"id\":\"n\",\"label\":\"姓名\"}}");
	HAS(html, "<div class=\"jx-form-row\">");
	HAS(html, "<input id=\"n\" name=\"n\" type=\"text\">");
	LACKS(html, "aria-");
}

/* partials/upload: jx-upload.js's messages in the page's language (its
 * zh-CN ones are also built into the script), then the script. */
static void
test_upload_partial(struct luaenv *env)
{
	const char *p = "{\"title\":\"x\",\"csrf_token\":\"t\"}";
	char *html;

	html = page(env, "partials/upload", "{}", p, "en");
	HAS(html, "<ul id=\"jx-upload-strings\" hidden>");
	HAS(html, "<li data-key=\"upload.413\">{name} is larger than "
	          "uploads may be.</li>");
	HAS(html, "<li data-key=\"upload.remove_named\">Remove {name}</li>");
	HAS(html, "<script src=\"/static/jx-upload.js\" defer></script>");
	LACKS(html, "data-key=\"upload.busy\">app.upload");
	free(html);
	html = page(env, "partials/upload", "{}", p, "zh-CN");
	HAS(html, "<li data-key=\"upload.507\">学校的存储空间已满，{name} "
	          "没有上传。请联系学校管理员。</li>");
	free(html);
}

static void
test_i18n(struct luaenv *env)
{
	static const char check[] =
	    "local zh, en = ...\n"
	    "for k, v in pairs(zh) do\n"
	    "  if type(v) ~= 'string' or v == '' then return 'zh ' .. k end\n"
	    "  if type(en[k]) ~= 'string' or en[k] == '' then\n"
	    "    return 'en lacks ' .. k\n"
	    "  end\n"
	    "end\n"
	    "return 'ok'";
	static const char *const langs[] = {"zh-CN", "en"};
	lua_State *L = luaenv_state(env);
	char path[4096], *text;
	struct stat st;
	size_t len;
	int i, top = lua_gettop(L);

	CHECK_STR(render_t(env, "zh-CN", "app.name"), "家校");
	CHECK_STR(render_t(env, "en", "app.name"), "Jiaxiao");
	CHECK_STR(render_t(env, NULL, "nav.login"), "登录");
	CHECK_STR(render_t(env, "en", "nav.login"), "Log in");
	CHECK_STR(render_t(env, "fr", "nav.login"), "登录");
	CHECK_STR(render_t(env, "../zh-CN", "nav.login"), "登录");
	CHECK_STR(render_t(env, "en", "no.such.key"), "no.such.key");
	CHECK_STR(render_t(env, "zh-CN", "no.such.key"), "no.such.key");

	/* Every key of zh-CN exists in en. */
	CHECK(luaenv_load(env, check, strlen(check), "sync", errbuf,
	                  sizeof(errbuf)) == 0);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/templates/i18n/%s.lua",
		         source_dir(), langs[i]);
		CHECK(luaenv_read_file(path, 1 << 20, &text, &len, &st) == 0);
		CHECK(luaenv_load(env, text, len, langs[i], errbuf,
		                  sizeof(errbuf)) == 0);
		free(text);
		CHECK(luaenv_pcall(env, 0, 1, errbuf, sizeof(errbuf)) == 0);
	}
	CHECK(luaenv_pcall(env, 2, 1, errbuf, sizeof(errbuf)) == 0);
	CHECK_STR(lua_tostring(L, -1), "ok");
	lua_settop(L, top);

	CHECK_STR(render_pick_lang(NULL), "zh-CN");
	CHECK_STR(render_pick_lang(""), "zh-CN");
	CHECK_STR(render_pick_lang("en-US,en;q=0.9"), "en");
	CHECK_STR(render_pick_lang("zh-CN,zh;q=0.9,en;q=0.8"), "zh-CN");
	CHECK_STR(render_pick_lang("en;q=0.5, zh;q=0.8"), "zh-CN");
	CHECK_STR(render_pick_lang("fr, en;q=0.7"), "en");
	CHECK_STR(render_pick_lang("en;q=0"), "zh-CN");
	CHECK_STR(render_pick_lang("EN-gb"), "en");
	CHECK_STR(render_pick_lang("eng"), "zh-CN");
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
remove_tree(const char *dir)
{
	/* Only ever our own mkdtemp directory. */
	if (strncmp(dir, "/tmp/jx-render-", 15) == 0)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	char dir[4096];
	struct luaenv *tmp, *repo;

	CHECK(mkdtemp(tmp_root) != NULL);
	snprintf(dir, sizeof(dir), "%s/templates", tmp_root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/templates/partials", tmp_root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/templates/i18n", tmp_root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/scripts", tmp_root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/scripts/lib", tmp_root);
	mkdir(dir, 0700);
	put("../scripts/lib/tmod.lua",
	    "return { hi = function() return 'x' end }");

	tmp = env_for(tmp_root);
	repo = env_for(source_dir());
	CHECK(tmp != NULL && repo != NULL);
	if (tmp == NULL || repo == NULL)
		return check_done();
	test_escaping(tmp);
	test_values_and_flow(tmp);
	test_errors(tmp);
	test_reload(tmp);
	test_plugin_templates();
	test_page(repo);
	test_components(repo);
	test_upload_partial(repo);
	test_i18n(repo);
	luaenv_free(tmp);
	luaenv_free(repo);
	remove_tree(tmp_root);
	return check_done();
}
