/*
 * test_render_data.c — ABI 2.5's page data and fragments: the pd_*
 * writer into a template's variables (host/render_data.c) and into
 * cJSON for the API, HTML chunks printed from C memory (render.c's
 * render_push_chunk, the layout's content among them), and the fragment
 * cache (host/render_cache.c): hits only under the same template,
 * language, key and template files, and bounded.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "host.h"
#include "luaenv.h"
#include "render.h"

static char tmp_root[] = "/tmp/jx-render-XXXXXX";
static char errbuf[1024];

static void
put(const char *rel, const char *text, int forward)
{
	char path[4096];
	struct stat st;
	struct timeval tv[2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/templates/%s", tmp_root, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	if (forward > 0 && stat(path, &st) == 0) {
		/* a changed mtime, whatever the clock's resolution */
		tv[0].tv_sec = tv[1].tv_sec = st.st_mtime + forward;
		tv[0].tv_usec = tv[1].tv_usec = 0;
		CHECK(utimes(path, tv) == 0);
	}
}

/* ---- the writer ---------------------------------------------------------- */

static const char chunk_a[] = "<b>a</b>";
static const char chunk_b[] = "<i>b&amp;</i>";

static void
writer(struct jx_req *req, struct jx_page_data *pd, void *ud)
{
	(void)req;
	(void)ud;
	render_data_str(pd, "title", "<T>", (size_t)-1);
	render_data_str(pd, "cut", "abcdef", 3);
	render_data_int(pd, "n", 42);
	render_data_bool(pd, "ok", 1);
	render_data_str(pd, NULL, "dropped: no key in an object", (size_t)-1);
	render_data_str(pd, "absent", NULL, 0);
	render_data_open(pd, "cells", 1);
	render_data_html(pd, NULL, chunk_a, sizeof(chunk_a) - 1);
	render_data_html(pd, NULL, chunk_b, sizeof(chunk_b) - 1);
	render_data_str(pd, "dropped", "a key in an array", (size_t)-1);
	render_data_close(pd);
	render_data_open(pd, "obj", 0);
	render_data_int(pd, "k", -7);
	render_data_open(pd, "inner", 1);
	render_data_int(pd, NULL, 1);
	render_data_int(pd, NULL, 2);
	render_data_close(pd);
	render_data_close(pd);
	/* deeper than the writer takes (32 levels): what is below is
	 * dropped, the rest goes on */
	for (int i = 0; i < 40; i++)
		render_data_open(pd, "deep", 0);
	render_data_int(pd, "lost", 1);
	for (int i = 0; i < 40; i++)
		render_data_close(pd);
	render_data_int(pd, "after", 5);
	/* left open: closed by the host */
	render_data_open(pd, "open", 0);
	render_data_int(pd, "x", 9);
}

static struct jx_req *writer_req;

static void
add_data(lua_State *L, void *ud)
{
	render_data_lua(L, writer_req, writer, ud);
}

static void
test_writer(struct luaenv *env, struct jx_req *req)
{
	struct buf out;
	cJSON *o = cJSON_CreateObject();
	char *json;
	int rc;

	put("layout.html", "<L>{{= content }}</L>", 0);
	put("pd.html",
	    "{{ title }}|{{ cut }}|{{ n + 1 }}|{{ ok }}|{{ absent }}|"
	    "{% for _, c in ipairs(cells) do %}[{{= c }}]{% end %}"
	    "{{ #cells }}|{{ cells[1] }}|{% if cells[2] then %}t{% end %}|"
	    "{{ obj.k }}|{{ #obj.inner }}{{ obj.inner[2] }}|"
	    "{% local d, k, lost = deep, 0, nil %}"
	    "{% while d do k = k + 1 lost = lost or d.lost d = d.deep end %}"
	    "{{ k }}{{ lost }}|"
	    "{{ after }}|{{ open.x }}",
	    0);
	writer_req = req;
	buf_init(&out);
	rc = render_page_with(env, "pd", NULL, add_data, NULL, NULL, NULL, "en",
	                      &out, errbuf, sizeof(errbuf));
	if (rc != 0)
		fprintf(stderr, "render: %s\n", errbuf);
	CHECK(rc == 0);
	/* strings escaped by {{ }}, chunks printed raw by {{= }} and
	 * escaped by {{ }} as the same string would be; the content (a
	 * chunk too) printed whole by the layout */
	CHECK_STR(out.data, "<L>&lt;T&gt;|abc|43|true||[<b>a</b>][<i>b&amp;"
	                    "</i>]2|&lt;b&gt;a&lt;/b&gt;|t|-7|22|32|5|9</L>");
	buf_free(&out);

	/* the API's face: the same calls as cJSON members */
	render_data_json(o, req, writer, NULL);
	json = cJSON_PrintUnformatted(o);
	buf_init(&out);
	buf_printf(&out, "%s",
	           "{\"title\":\"<T>\",\"cut\":\"abc\",\"n\":42,\"ok\":true,"
	           "\"cells\":[\"<b>a</b>\",\"<i>b&amp;</i>\"],\"obj\":{"
	           "\"k\":-7,\"inner\":[1,2]},");
	for (int i = 0; i < 32; i++)
		buf_printf(&out, "%s", i ? "{\"deep\":" : "\"deep\":");
	buf_printf(&out, "{}");
	for (int i = 1; i < 32; i++)
		buf_printf(&out, "}");
	buf_printf(&out, ",\"after\":5,\"open\":{\"x\":9}}");
	CHECK_STR(json, out.data);
	buf_free(&out);
	free(json);
	cJSON_Delete(o);
}

/* ---- the fragment cache -------------------------------------------------- */

static void
test_cache(struct luaenv *env, struct jx_req *req)
{
	cJSON *d = cJSON_CreateObject();
	const char *h;
	size_t len = 0;
	uint64_t hits, misses;
	size_t bytes;
	char *sets[] = {"render.fragment_cache_bytes=4096"};
	char key[32];

	put("cell.html", "<p>{{ v }} {{ t(\"x.hello\") }}</p>", 0);
	cJSON_AddStringToObject(d, "v", "a<b");
	render_cache_clear();
	req->lang = "en";
	CHECK(render_cache_get(req, "cell", "k1", 2, &len) == NULL);
	h = render_cache_render(req, "cell", "k1", 2, d, &len);
	CHECK_STR(h, "<p>a&lt;b x.hello</p>");
	CHECK(len == strlen("<p>a&lt;b x.hello</p>"));
	len = 0;
	h = render_cache_get(req, "cell", "k1", 2, &len);
	CHECK_STR(h, "<p>a&lt;b x.hello</p>");
	CHECK(len == strlen("<p>a&lt;b x.hello</p>"));
	/* another key, a longer one, another template, another language:
	 * never that entry */
	CHECK(render_cache_get(req, "cell", "k2", 2, NULL) == NULL);
	CHECK(render_cache_get(req, "cell", "k1x", 3, NULL) == NULL);
	CHECK(render_cache_get(req, "pd", "k1", 2, NULL) == NULL);
	req->lang = "zh-CN";
	CHECK(render_cache_get(req, "cell", "k1", 2, NULL) == NULL);
	req->lang = "en";
	CHECK(render_cache_get(req, "cell", "k1", 2, NULL) != NULL);

	/* the template changes: what was rendered before is a miss as soon
	 * as a state sees the change, and the new one renders */
	put("cell.html", "<div>{{ v }}</div>", 5);
	luaenv_refresh_now(env);
	CHECK(render_cache_get(req, "cell", "k1", 2, NULL) == NULL);
	/* this state read the generation before it found the change: what
	 * it renders now is not kept (it could be the old file's) */
	h = render_cache_render(req, "cell", "k1", 2, d, NULL);
	CHECK_STR(h, "<div>a&lt;b</div>");
	CHECK(render_cache_get(req, "cell", "k1", 2, NULL) == NULL);
	luaenv_refresh_now(env); /* in step again */
	h = render_cache_render(req, "cell", "k1", 2, d, NULL);
	CHECK_STR(h, "<div>a&lt;b</div>");
	CHECK_STR(render_cache_get(req, "cell", "k1", 2, NULL),
	          "<div>a&lt;b</div>");

	/* bounded: 4 KiB holds some of 100 entries, the newest */
	CHECK(config_load(&app.cfg, NULL, sets, 1, errbuf, sizeof(errbuf)) ==
	      0);
	render_cache_clear();
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		CHECK(render_cache_render(req, "cell", key, strlen(key), d,
		                          NULL) != NULL);
	}
	render_cache_stats(&hits, &misses, &bytes);
	CHECK(bytes > 0 && bytes <= 4096);
	CHECK(render_cache_get(req, "cell", "key-99", 6, NULL) != NULL);
	CHECK(render_cache_get(req, "cell", "key-0", 5, NULL) == NULL);
	/* 0 turns it off */
	config_free(&app.cfg);
	sets[0] = "render.fragment_cache_bytes=0";
	CHECK(config_load(&app.cfg, NULL, sets, 1, errbuf, sizeof(errbuf)) ==
	      0);
	render_cache_clear();
	CHECK(render_cache_render(req, "cell", "k1", 2, d, NULL) != NULL);
	CHECK(render_cache_get(req, "cell", "k1", 2, NULL) == NULL);
	config_free(&app.cfg);
	render_cache_clear();
	cJSON_Delete(d);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	char dir[4096], scripts[4096];
	struct luaenv_opts o = {0};
	struct luaenv *env;
	struct thread w;
	struct jx_req req;
	struct arena a;

	CHECK(mkdtemp(tmp_root) != NULL);
	snprintf(dir, sizeof(dir), "%s/templates", tmp_root);
	mkdir(dir, 0700);
	snprintf(scripts, sizeof(scripts), "%s/templates/i18n", tmp_root);
	mkdir(scripts, 0700);
	snprintf(scripts, sizeof(scripts), "%s/scripts", tmp_root);
	mkdir(scripts, 0700);
	o.scripts_dir = scripts;
	o.templates_dir = dir;
	env = luaenv_new(&o);
	CHECK(env != NULL);
	if (env == NULL)
		return check_done();
	memset(&w, 0, sizeof(w));
	memset(&req, 0, sizeof(req));
	arena_init(&a, 4096);
	w.lua = env;
	req.worker = &w;
	req.arena = &a;
	req.lang = "en";
	test_writer(env, &req);
	test_cache(env, &req);
	arena_free(&a);
	luaenv_free(env);
	if (strncmp(tmp_root, "/tmp/jx-render-", 15) == 0)
		nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
