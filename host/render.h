/*
 * render.h — HTML templates and i18n on top of the Lua sandbox.
 *
 * Templates are templates/<name>.html, compiled once per state into Lua
 * functions and recompiled when their file changes; the syntax is
 * documented at the top of render.c and in templates/README.md. Every
 * {{ value }} is HTML-escaped by render_escape; raw output is spelled
 * {{= value }} or {{ raw(value) }}.
 */
#ifndef JX_RENDER_H
#define JX_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <lua.h>

#include "arena.h"
#include "luaenv.h"

/*
 * Renders templates/<name>.html with data (a cJSON object whose members
 * are the template's variables; NULL for none), plus `lang` and the
 * helpers (t, t_in, raw, escape). Appends to out. Returns 0, or -1 with a
 * one-line err naming the template and line ("templates/home.html:3:
 * ..."); out is then left as it was.
 */
int render_template(struct luaenv *env, const char *name, const cJSON *data,
                    const char *lang, struct buf *out, char *err,
                    size_t errlen);

/*
 * Renders the page: templates/<name>.html into the content (its
 * variables: data's members, plus `page` and `lang`), then
 * templates/layout.html with the variables `page`, `lang` and `content`
 * (the rendered content, printed raw by the layout). page is the object
 * the host builds: title or title_key, csrf_token, user {name} or null,
 * identities [{id, label, role}], acting_identity_id, menu [{label or
 * label_key, href, active}], tabs [{href, label_key, icon, badge?,
 * active}] (the phone's bottom bar: parents, students, teachers; else
 * empty). One instruction budget covers both.
 */
int render_page(struct luaenv *env, const char *name, const cJSON *data,
                const cJSON *page, const char *lang, struct buf *out, char *err,
                size_t errlen);

/*
 * As render_page, with the page object pushed by push_page(L, ud) (one
 * table, left on the stack) instead of copied from a cJSON tree: the
 * layout's shell is on every page. push_page runs inside the render's
 * protected call and may raise; render_push_t is for it. add_data, when
 * not NULL, is called with the template's variables (data's members) at
 * the top of the stack and may set more of them (add_data(L, data_ud)),
 * as the same values in data would have been copied: integers as
 * integers, arrays marked (luaenv_mark_array), no nulls.
 */
int render_page_with(struct luaenv *env, const char *name, const cJSON *data,
                     void (*add_data)(lua_State *L, void *ud), void *data_ud,
                     void (*push_page)(lua_State *L, void *ud), void *ud,
                     const char *lang, struct buf *out, char *err,
                     size_t errlen);

/*
 * ABI 2.5 (render_data.c): a plugin's page data written into the
 * template's variables (jx_host->reply_view_data and pd_*), or into the
 * reply's cJSON data for the API.
 */
struct jx_page_data;
struct jx_req;
int render_reply_view_data(struct jx_req *req, int status, const char *tmpl,
                           cJSON *data,
                           void (*write)(struct jx_req *req,
                                         struct jx_page_data *pd, void *ud),
                           void *ud);
void render_data_open(struct jx_page_data *pd, const char *key, int array);
void render_data_close(struct jx_page_data *pd);
void render_data_str(struct jx_page_data *pd, const char *key, const char *s,
                     size_t len);
void render_data_int(struct jx_page_data *pd, const char *key, int64_t v);
void render_data_html(struct jx_page_data *pd, const char *key, const char *s,
                      size_t len);
/* The writer run on the Lua table on top of L (what reply_view_data's
 * render does), or into a cJSON object or array (the API's face). */
void render_data_lua(lua_State *L, struct jx_req *req,
                     void (*write)(struct jx_req *req, struct jx_page_data *pd,
                                   void *ud),
                     void *ud);
void render_data_json(cJSON *obj, struct jx_req *req,
                      void (*write)(struct jx_req *req, struct jx_page_data *pd,
                                    void *ud),
                      void *ud);
void render_data_bool(struct jx_page_data *pd, const char *key, int v);

/*
 * ABI 2.5 (render_cache.c): fragments kept by the process under
 * (tmpl, the request's language, key), current with the templates' files
 * (luaenv_files_gen). See jx_host->fragment_get in jx/plugin.h.
 */
const char *render_cache_get(struct jx_req *req, const char *tmpl,
                             const void *key, size_t klen, size_t *len);
const char *render_cache_render(struct jx_req *req, const char *tmpl,
                                const void *key, size_t klen, const cJSON *data,
                                size_t *len);
void render_cache_stats(uint64_t *hits, uint64_t *misses, size_t *bytes);
/* Drops every entry and reads the size limit again (tests). */
void render_cache_clear(void);

/*
 * Inside a render (push_page, add_data): pushes n bytes at p as a value
 * the template can only print ({{= v }} raw, {{ v }} escaped, as the
 * same string would print) or test for truth: a light userdata naming
 * the render's chunk, printed from p itself. For large HTML the host or
 * a plugin built (the layout's content, a feed's cached cells), which
 * as a Lua string would be copied and collected. p must stay valid and
 * unchanged until the render ends (the request's arena, or a buffer not
 * written by the render). Past 4,096 chunks a render gets plain
 * strings.
 */
void render_push_chunk(lua_State *L, const char *p, size_t n);

/* Inside a render (push_page): pushes the message for key in the
 * render's language, as t(key) gives it (the key itself when no catalog
 * has it); returns 1 when a catalog had it. */
int render_push_t(lua_State *L, const char *key);

/*
 * The message for key in lang ("zh-CN" when NULL or without a catalog),
 * falling back to zh-CN, then to the key itself. The pointer stays valid
 * until the next luaenv_refresh of this env.
 */
const char *render_t(struct luaenv *env, const char *lang, const char *key);

/*
 * The UI language for an Accept-Language header: "en" when English is
 * preferred over Chinese, else "zh-CN" (also for NULL). A static string.
 */
const char *render_pick_lang(const char *accept_language);

/* Appends s with & < > " ' escaped for HTML text and attribute values. */
void render_escape(struct buf *out, const char *s, size_t n);

/* jx.escape(s): the escaped string, for Lua. */
int render_lua_escape(lua_State *L);

#endif
