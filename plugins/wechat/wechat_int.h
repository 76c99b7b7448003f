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

#endif
