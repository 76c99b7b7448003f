/*
 * wechat_routes.c — the wechat plugin's HTTP side.
 *
 *   POST /api/v1/me/wechat {"code"}   binds the openid behind an OAuth code
 *                                     to the logged-in account → 204
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
wx_code_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static int
wx_bind(jx_req *req, void *ud)
{
	const struct jx_identity *me = jx_host->identity(req);
	cJSON *in = jx_host->req_json(req), *j = NULL, *detail;
	const cJSON *code, *openid, *errc;
	char *ecode = NULL, *eappid = NULL, *esecret = NULL, *path = NULL,
	     *reply = NULL, err[256];
	jx_db *db = jx_host->req_db(req);
	long status;
	int rc;
	int64_t now = jx_host->now(), prev;

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
	if (wx_cfg.api_base[0] == '\0' || wx_cfg.appid[0] == '\0' ||
	    wx_cfg.secret[0] == '\0')
		return wx_problem(req, 503, "not-configured",
		                  "WeChat is not configured",
		                  "Set wechat.api_base, appid and secret.");
	ecode = wx_escape(code->valuestring);
	eappid = wx_escape(wx_cfg.appid);
	esecret = wx_escape(wx_cfg.secret);
	if (ecode == NULL || eappid == NULL || esecret == NULL)
		goto nomem;
	rc = (int)(strlen(ecode) + strlen(eappid) + strlen(esecret) + 128);
	path = malloc((size_t)rc);
	if (path == NULL)
		goto nomem;
	snprintf(path, (size_t)rc,
	         "/sns/oauth2/access_token?appid=%s&secret=%s&code=%s"
	         "&grant_type=authorization_code",
	         eappid, esecret, ecode);
	if (wx_http(path, NULL, &status, &reply, err, sizeof(err)) != 0) {
		jx_host->log(JX_LOG_WARN, "wechat", "oauth: %s", err);
		rc = wx_problem(req, 502, "upstream", "WeChat is unreachable",
		                "Try again later.");
		goto done;
	}
	j = wx_json_parse(reply);
	openid = cJSON_GetObjectItemCaseSensitive(j, "openid");
	errc = cJSON_GetObjectItemCaseSensitive(j, "errcode");
	if (cJSON_IsNumber(errc) && errc->valuedouble != 0) {
		long c = (long)errc->valuedouble;

		/* 40029 invalid code, 40163 code used, 42003 expired. */
		if (c == 40029 || c == 40163 || c == 42003) {
			jx_host->problem_error(req, 0, "code",
			                       "WeChat refused this code: "
			                       "it is wrong, used or expired");
			rc = wx_problem(req, 422, "validation-failed",
			                "Invalid WeChat code", NULL);
		} else {
			jx_host->log(JX_LOG_WARN, "wechat",
			             "oauth refused with %ld", c);
			rc = wx_problem(req, 502, "upstream",
			                "WeChat refused the request",
			                "Try again later.");
		}
		goto done;
	}
	if (status != 200 || !cJSON_IsString(openid) ||
	    openid->valuestring[0] == '\0' ||
	    strlen(openid->valuestring) > 64) {
		rc = wx_problem(req, 502, "upstream",
		                "WeChat answered without an openid",
		                "Try again later.");
		goto done;
	}
	if (jx_host->db_begin(db) != 0)
		goto storage;
	prev = jx_host->db_one(db,
	                       "SELECT coalesce(account_id, 0) FROM "
	                       "wechat_bindings WHERE openid = ?",
	                       "s", openid->valuestring);
	detail = cJSON_CreateObject();
	if (prev > 0 && prev != me->account_id)
		cJSON_AddNumberToObject(detail, "moved_from_account",
		                        (double)prev);
	if (prev < 0 ||
	    jx_host->db_exec(
	        db,
	        "INSERT INTO wechat_bindings(account_id, openid, followed, "
	        "invalid, created_at, updated_at) VALUES (?, ?, 1, 0, ?, ?) "
	        "ON CONFLICT(openid) DO UPDATE SET account_id = "
	        "excluded.account_id, invalid = 0, updated_at = "
	        "excluded.updated_at",
	        "isii", me->account_id, openid->valuestring, now, now) < 0 ||
	    jx_host->audit(req, "wechat.bound",
	                   jx_host->sprintf(req, "account:%lld",
	                                    (long long)me->account_id),
	                   detail) != 0) {
		cJSON_Delete(detail);
		jx_host->db_rollback(db);
		goto storage;
	}
	cJSON_Delete(detail);
	if (jx_host->db_commit(db) != 0)
		goto storage;
	rc = jx_host->reply_json(req, 204, NULL);
	goto done;
storage:
	rc = wx_problem(req, 500, "storage", "Storage error",
	                "The binding was not saved.");
	goto done;
nomem:
	rc = wx_problem(req, 500, "internal", "Out of memory", NULL);
done:
	cJSON_Delete(j);
	free(reply);
	free(path);
	free(ecode);
	free(eappid);
	free(esecret);
	return rc;
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
	if (strstr(status, "user block") != NULL)
		jx_host->db_exec(
		    db,
		    "UPDATE wechat_bindings SET followed = 0, updated_at = ? "
		    "WHERE openid = (SELECT openid FROM wechat_messages "
		    "WHERE msgid = ?)",
		    "is", jx_host->now(), msgid);
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
	snprintf(err, sizeof(err), "unreachable: %s", status);
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
    {NULL, NULL, NULL, NULL, 0},
};
