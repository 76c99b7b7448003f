/*
 * wechat_routes.c — the wechat plugin's HTTP side.
 *
 *   POST /api/v1/me/wechat {"code"}   binds the openid behind an OAuth code
 *                                     to the logged-in account → 204
 *   GET  /wx/enter, /wx/callback,     parents arriving from WeChat
 *        /wx/bind                     (wechat_oauth.c)
 *   GET  /wechat/callback             the official account's server URL:
 *                                     echoes echostr when the signature holds
 *   POST /wechat/callback             XML events: subscribe, unsubscribe,
 *                                     TEMPLATESENDJOBFINISH → "success"
 *
 * The callback is public and takes no CSRF token (WeChat's servers call
 * it); what stands in for both is the signature: the SHA-1 of the sorted
 * concatenation of wechat.token, timestamp and nonce. A forged or missing
 * one is answered 403 and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jx/plugin.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "wechat_int.h"
#include "wechat_xml.h"

static int
wx_problem(jx_req *req, int status, const char *type, const char *title,
           const char *detail)
{
	return jx_host->reply_problem(req, status, type, title, detail);
}

/* ---- POST /api/v1/me/wechat -------------------------------------------- */

static int
wx_bind(jx_req *req, void *ud)
{
	const struct jx_identity *me = jx_host->identity(req);
	cJSON *in = jx_host->req_json(req);
	const cJSON *code;
	char openid[72], err[256];
	int rc;

	(void)ud;
	if (in == NULL)
		return jx_host->req_status(req);
	if (me == NULL)
		return wx_problem(req, 401, "unauthenticated", "Login required",
		                  NULL);
	code = cJSON_GetObjectItemCaseSensitive(in, "code");
	if (!cJSON_IsString(code) || !wx_code_ok(code->valuestring)) {
		jx_host->problem_error(req, 0, "code",
		                       "code is the OAuth code WeChat gave "
		                       "(letters, digits, - and _)");
		return wx_problem(req, 422, "validation-failed",
		                  "Invalid WeChat code", NULL);
	}
	rc = wx_oauth_openid(code->valuestring, openid, sizeof(openid), err,
	                     sizeof(err));
	switch (rc) {
	case WX_OAUTH_OK: break;
	case WX_OAUTH_UNCONFIGURED:
		return wx_problem(req, 503, "not-configured",
		                  "WeChat is not configured",
		                  "Set wechat.api_base, appid and secret.");
	case WX_OAUTH_REFUSED:
		jx_host->problem_error(req, 0, "code",
		                       "WeChat refused this code: "
		                       "it is wrong, used or expired");
		return wx_problem(req, 422, "validation-failed",
		                  "Invalid WeChat code", NULL);
	case WX_OAUTH_UPSTREAM:
		jx_host->log(JX_LOG_WARN, "wechat", "oauth: %s", err);
		return wx_problem(req, 502, "upstream",
		                  "WeChat refused the request or is "
		                  "unreachable",
		                  "Try again later.");
	default: return wx_problem(req, 500, "internal", "Out of memory", NULL);
	}
	if (wx_bind_openid(req, jx_host->req_db(req), me->account_id, openid) !=
	    0)
		return wx_problem(req, 500, "storage", "Storage error",
		                  "The binding was not saved.");
	return jx_host->reply_json(req, 204, NULL);
}

/* ---- the callback's signature ----------------------------------------- */

static int
wx_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 when the request's signature is the SHA-1 of the sorted token,
 * timestamp and nonce. */
static int
wx_signed(jx_req *req)
{
	const char *sig = jx_host->req_query(req, "signature");
	const char *parts[3] = {wx_cfg.token,
	                        jx_host->req_query(req, "timestamp"),
	                        jx_host->req_query(req, "nonce")};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], *cat;
	size_t n;
	int ok;

	if (wx_cfg.token[0] == '\0' || sig == NULL || parts[1] == NULL ||
	    parts[2] == NULL || strlen(sig) != 40 || strlen(parts[1]) > 64 ||
	    strlen(parts[2]) > 128)
		return 0;
	qsort(parts, 3, sizeof(parts[0]), wx_cmp);
	n = strlen(parts[0]) + strlen(parts[1]) + strlen(parts[2]) + 1;
	cat = malloc(n);
	if (cat == NULL)
		return 0;
	snprintf(cat, n, "%s%s%s", parts[0], parts[1], parts[2]);
	ok = EVP_Digest(cat, strlen(cat), md, &mdlen, EVP_sha1(), NULL) == 1 &&
	     mdlen == 20;
	free(cat);
	if (!ok)
		return 0;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return CRYPTO_memcmp(hex, sig, 40) == 0;
}

static int
wx_forged(jx_req *req)
{
	jx_host->log(JX_LOG_WARN, "wechat",
	             "callback with a wrong signature from %s refused",
	             jx_host->req_client_ip(req));
	return wx_problem(req, 403, "forbidden", "Bad signature",
	                  "The request is not signed with wechat.token.");
}

static int
wx_callback_get(jx_req *req, void *ud)
{
	const char *echo = jx_host->req_query(req, "echostr");

	(void)ud;
	if (!wx_signed(req))
		return wx_forged(req);
	if (echo == NULL)
		echo = "";
	return jx_host->reply_raw(req, 200, "text/plain; charset=utf-8", echo,
	                          strlen(echo), NULL);
}

/* A template message's final status: writes it on the msgid's row, and
 * when no openid of that outbox row got the message, reports the row
 * failed to the host (outbox_report), which settles it and tells
 * notify.result's subscribers (notices fall back to SMS). */
static int
wx_job_finished(jx_db *db, const char *msgid, const char *status)
{
	int64_t outbox, left;
	int ok = strcmp(status, "success") == 0;
	char err[WX_XML_FIELD + 16], key[80];
	jx_stmt *st;
	int rc;

	if (jx_host->db_exec(db,
	                     "UPDATE wechat_messages SET status = ?, "
	                     "finished_at = ? WHERE msgid = ?",
	                     "sis", status, jx_host->now(), msgid) <= 0)
		return 0; /* not ours (or sent before a crash): nothing to do */
	if (ok)
		return 0;
	if (strstr(status, "user block") != NULL) {
		jx_stmt *o =
		    jx_host->db_query(db,
		                      "SELECT openid FROM "
		                      "wechat_messages WHERE msgid = ?",
		                      "s", msgid);
		char *openid = NULL;

		if (o != NULL && jx_host->db_step(o) == JX_DB_ROW)
			openid = strdup(jx_host->db_text(o, 0));
		jx_host->db_finish(o);
		rc = openid != NULL ? wx_set_followed(db, openid, 0) : 0;
		free(openid);
		if (rc != 0)
			return -1;
	}
	outbox = jx_host->db_one(
	    db, "SELECT outbox_id FROM wechat_messages WHERE msgid = ?", "s",
	    msgid);
	left = jx_host->db_one(db,
	                       "SELECT count(*) FROM wechat_messages WHERE "
	                       "outbox_id = ? AND status IN ('accepted', "
	                       "'success')",
	                       "i", outbox);
	if (outbox <= 0 || left != 0)
		return left < 0 ? -1 : 0;
	/* A user who blocks the messages is a family WeChat cannot reach
	 * (counted apart, as unreachable); anything else ("failed: system
	 * failed") is WeChat failing to deliver: a failure (issue 14). */
	snprintf(err, sizeof(err), "%s: %s",
	         strstr(status, "user block") != NULL ? "unreachable"
	                                              : "failed",
	         status);
	/* The host settles its outbox row and tells notify.result's
	 * subscribers. */
	st = jx_host->db_query(
	    db, "SELECT idem_key FROM host_outbox WHERE id = ?", "i", outbox);
	if (st == NULL)
		return -1;
	if (jx_host->db_step(st) != JX_DB_ROW) {
		jx_host->db_finish(st);
		return 0;
	}
	snprintf(key, sizeof(key), "%s", jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	rc = jx_host->outbox_report(db, key, 0, err);
	return rc < 0 ? -1 : 0;
}

static int
wx_callback_post(jx_req *req, void *ud)
{
	struct wx_event *e;
	const char *body;
	size_t len;
	jx_db *db = jx_host->req_db(req);
	int rc;

	(void)ud;
	if (!wx_signed(req))
		return wx_forged(req);
	rc = jx_host->req_body(req, WX_XML_MAX, &body, &len);
	if (rc != 0)
		return rc;
	e = jx_host->alloc(req, sizeof(*e));
	if (wx_xml_parse(body, len, e) != 0)
		return wx_problem(req, 400, "bad-xml", "Malformed XML", NULL);
	if (strcmp(e->v[WX_MSGTYPE], "event") == 0 &&
	    e->v[WX_FROM][0] != '\0') {
		const char *ev = e->v[WX_EVENT];
		const char *msgid =
		    e->v[WX_MSGID][0] ? e->v[WX_MSGID] : e->v[WX_MSGID_LC];

		if (jx_host->db_begin(db) != 0)
			goto storage;
		if (strcmp(ev, "subscribe") == 0 ||
		    strcmp(ev, "unsubscribe") == 0)
			rc = wx_set_followed(db, e->v[WX_FROM],
			                     strcmp(ev, "subscribe") == 0);
		else if (strcmp(ev, "TEMPLATESENDJOBFINISH") == 0 &&
		         msgid[0] != '\0')
			rc = wx_job_finished(db, msgid, e->v[WX_STATUS]);
		else
			rc = 0;
		if (rc != 0) {
			jx_host->db_rollback(db);
			goto storage;
		}
		if (jx_host->db_commit(db) != 0)
			goto storage;
	}
	/* WeChat wants "success" (or an empty body) for every message. */
	return jx_host->reply_raw(req, 200, "text/plain; charset=utf-8",
	                          "success", 7, NULL);
storage:
	return wx_problem(req, 500, "storage", "Storage error", NULL);
}

/* The plugin's route table (the descriptor's, in wechat.c). */
const struct jx_route wx_routes[] = {
    {"POST", "/api/v1/me/wechat", wx_bind, NULL, 0},
    {"GET", "/wechat/callback", wx_callback_get, NULL, JX_ROUTE_PUBLIC},
    {"POST", "/wechat/callback", wx_callback_post, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF},
    {"GET", "/wx/enter", wx_enter, NULL, JX_ROUTE_PUBLIC | JX_ROUTE_PAGE},
    {"GET", "/wx/callback", wx_callback, NULL, JX_ROUTE_PUBLIC | JX_ROUTE_PAGE},
    {"GET", "/wx/bind", wx_bind_page, NULL, JX_ROUTE_PUBLIC | JX_ROUTE_PAGE},
    {NULL, NULL, NULL, NULL, 0},
};
