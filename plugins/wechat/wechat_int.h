/*
 * wechat_int.h — what the wechat plugin's files share.
 */
#ifndef WECHAT_INT_H
#define WECHAT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jx/plugin.h>

JX_HOST_EXTERN;

/* The plugin's configuration (wechat.*), fixed after init. api_base has
 * no trailing '/'; a missing value is "". */
struct wx_config {
	char api_base[512];
	char appid[128];
	char secret[256];
	char token[128];
	char template_id[128];
};
extern struct wx_config wx_cfg;

/*
 * One HTTP exchange with the WeChat API: GET when body is NULL, else a
 * JSON POST. url is relative to api_base ("/cgi-bin/..."). Sets *status
 * and *reply (malloc'ed, NUL-terminated, free it). 0, or 1 for a
 * transport failure (err says why).
 */
int wx_http(const char *path, const char *body, long *status, char **reply,
            char *err, size_t errlen);

/* A reply of the WeChat API as JSON, or NULL when it is not JSON or
 * nests deeper than WX_JSON_DEPTH (WeChat's replies nest 2 levels; cJSON
 * recurses once per level, and the OAuth reply is read on a civetweb
 * worker's 100 KiB stack). Free with cJSON_Delete. */
#define WX_JSON_DEPTH 16
cJSON *wx_json_parse(const char *text);

/* Escapes s for a URL query (malloc'ed), NULL on failure. */
char *wx_escape(const char *s);

/* Route registration (wechat_routes.c). */
extern const struct jx_route wx_routes[];

/* Marks an openid's follow status (a subscribe/unsubscribe event, 43004);
 * inserts an unbound row when the openid is new. 0 or -1. */
int wx_set_followed(jx_db *db, const char *openid, int followed);
/* The account openid is bound to while it is followed, else 0; -1. */
int64_t wx_follow_state(jx_db *db, const char *openid);
/* Publishes "wechat.followed" or "wechat.unfollowed" (docs/events.md)
 * when openid's state differs from before (wx_follow_state taken before
 * the change). 0, or -1 / a subscriber's refusal. */
int wx_follow_changed(jx_db *db, const char *openid, int64_t before);

/* A template message's link to a page of this site, through the OAuth
 * entry /wx/enter (wechat.c). malloc'ed, NULL when out of memory. */
char *wx_entry_url(const char *url);

/* ---- WeChat's web authorisation (wechat_oauth.c) ---- */

enum wx_oauth_result {
	WX_OAUTH_OK = 0,
	WX_OAUTH_REFUSED = 1,      /* the code is wrong, used or expired */
	WX_OAUTH_UPSTREAM = 2,     /* unreachable, or an odd answer */
	WX_OAUTH_UNCONFIGURED = 3, /* api_base, appid or secret missing */
	WX_OAUTH_NOMEM = -1,
};

/* The openid behind an OAuth code (sns/oauth2/access_token on
 * api_base) into openid (n bytes); err says why not. */
int wx_oauth_openid(const char *code, char *openid, size_t n, char *err,
                    size_t errlen);
/* 1 when s looks like an OAuth code (letters, digits, - and _). */
int wx_code_ok(const char *s);
/* Binds openid to account in its own transaction, audit-logged
 * (wechat.bound). 0 or -1 (rolled back). */
int wx_bind_openid(jx_req *req, jx_db *db, int64_t account, const char *openid);
/* The arrival pages (page routes: /wx/enter, /wx/callback, /wx/bind). */
int wx_enter(jx_req *req, void *ud);
int wx_callback(jx_req *req, void *ud);
int wx_bind_page(jx_req *req, void *ud);

#endif
