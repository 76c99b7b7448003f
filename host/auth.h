/*
 * auth.h — what the dispatcher asks of the identity layer: who is
 * calling (session cookie), whether the CSRF token matches, whether the
 * account must change its password first, and which plugins and menu
 * entries exist for the caller's district and role.
 */
#ifndef JX_AUTH_H
#define JX_AUTH_H

#include "host.h"

/* Reads the session cookie and fills req's identity fields. */
void auth_resolve(jx_req *req);
/* 1 when the request carries the session's CSRF token. */
int auth_csrf_ok(jx_req *req);
/* 1 when plugin (index into app.plugins) is on for the caller's
 * district (districts[code].modules; no entry: all). */
int auth_plugin_enabled(jx_req *req, int plugin);
/* 1 when the menu entry is for the caller's role and its plugin is on. */
int auth_menu_visible(jx_req *req, const struct menu_entry *m);
/* 1 when the home item is for the caller's role and its plugin is on. */
int auth_home_visible(jx_req *req, const struct home_entry *h);
/* The home item's count for the caller (its plugin's function, run as
 * plugin code); < 0 when it does not apply. */
int64_t auth_home_count(jx_req *req, const struct home_entry *h);
/* Adds "tabs", the phone's bottom tab bar, to a page object: [{href,
 * label_key, icon, badge?, active}] for parents, students and teachers
 * (首页, the plugins' tabs, 我的), empty for other roles. */
void auth_page_tabs(jx_req *req, cJSON *page);
/* The same tabs as C (arena): their count, *tabs set; badge 0 for
 * none. */
struct auth_tab {
	const char *href, *label_key, *icon;
	int active;
	int64_t badge;
};
int auth_tabs(jx_req *req, struct auth_tab **tabs);

#endif
