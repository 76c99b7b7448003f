/*
 * wechat_oauth.c — WeChat's web authorisation (网页授权, snsapi_base):
 * turning the code of an OAuth redirect into the openid, and parents
 * arriving from the official account through it (issue 13):
 *
 *   GET /wx/enter?next=/notices/12   sets a random state in a short-lived
 *       HttpOnly SameSite=Lax cookie and redirects to wechat.authorize_url
 *       (WeChat's, not wechat.api_base) with that state and the callback;
 *       a browser already logged in goes straight to next
 *   GET /wx/callback?code&state&next the state must equal the cookie's
 *       (constant time; login CSRF defence), else 400 and no session;
 *       the code gives the openid; a bound openid logs its account in
 *       (host->session_open) and lands on next; an unbound one is
 *       remembered server-side for half an hour behind a second cookie
 *       and goes to the binding page
 *   GET /wx/bind                     without a session: log in (the
 *       host's /login form, next=/wx/bind) or activate by SMS
 *       (/activate?next=/wx/bind); with one: binds the remembered openid
 *       to the account and continues to next
 *
 * next is always a local path (the host's rule: one leading '/', no
 * "//", no backslash, no control character), else "/". The binding cookie
 * is only ever set after a state-checked callback in the same browser,
 * so /wx/bind binds only the openid of whoever ran WeChat's authorisation
 * there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jx/plugin.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "wechat_int.h"

#define WX_STATE_COOKIE "jx_wx_state"
#define WX_BIND_COOKIE "jx_wx_bind"
#define WX_STATE_SECONDS 600
#define WX_BIND_SECONDS 1800
#define WX_AUTHORIZE_DEFAULT                                                   \
	"https://open.weixin.qq.com/connect/oauth2/authorize"

/* ---- the code → openid exchange ---------------------------------------- */

int
wx_oauth_openid(const char *code, char *openid, size_t n, char *err,
                size_t errlen)
{
	char *ecode = NULL, *eappid = NULL, *esecret = NULL, *path = NULL,
	     *reply = NULL;
	const cJSON *id, *errc;
	cJSON *j = NULL;
	long status;
	size_t len;
	int rc = WX_OAUTH_NOMEM;

	if (wx_cfg.api_base[0] == '\0' || wx_cfg.appid[0] == '\0' ||
	    wx_cfg.secret[0] == '\0')
		return WX_OAUTH_UNCONFIGURED;
	ecode = wx_escape(code);
	eappid = wx_escape(wx_cfg.appid);
	esecret = wx_escape(wx_cfg.secret);
	if (ecode == NULL || eappid == NULL || esecret == NULL)
		goto done;
	len = strlen(ecode) + strlen(eappid) + strlen(esecret) + 128;
	path = malloc(len);
	if (path == NULL)
		goto done;
	snprintf(path, len,
	         "/sns/oauth2/access_token?appid=%s&secret=%s&code=%s"
	         "&grant_type=authorization_code",
	         eappid, esecret, ecode);
	if (wx_http(path, NULL, &status, &reply, err, errlen) != 0) {
		rc = WX_OAUTH_UPSTREAM;
		goto done;
	}
	j = wx_json_parse(reply);
	id = cJSON_GetObjectItemCaseSensitive(j, "openid");
	errc = cJSON_GetObjectItemCaseSensitive(j, "errcode");
	if (cJSON_IsNumber(errc) && errc->valuedouble != 0) {
		long c = (long)errc->valuedouble;

		snprintf(err, errlen, "oauth refused with %ld", c);
		/* 40029 invalid code, 40163 code used, 42003 expired. */
		rc = c == 40029 || c == 40163 || c == 42003 ? WX_OAUTH_REFUSED
		                                            : WX_OAUTH_UPSTREAM;
		goto done;
	}
	if (status != 200 || !cJSON_IsString(id) ||
	    id->valuestring[0] == '\0' || strlen(id->valuestring) >= n ||
	    strlen(id->valuestring) > 64) {
		snprintf(err, errlen, "answered without an openid");
		rc = WX_OAUTH_UPSTREAM;
		goto done;
	}
	snprintf(openid, n, "%s", id->valuestring);
	rc = WX_OAUTH_OK;
done:
	cJSON_Delete(j);
	free(reply);
	free(path);
	free(ecode);
	free(eappid);
	free(esecret);
	return rc;
}

int
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

int
wx_bind_openid(jx_req *req, jx_db *db, int64_t account, const char *openid)
{
	int64_t now = jx_host->now(), prev, before;
	cJSON *detail;
	int rc = -1;

	if (jx_host->db_begin(db) != 0)
		return -1;
	prev = jx_host->db_one(db,
	                       "SELECT coalesce(account_id, 0) FROM "
	                       "wechat_bindings WHERE openid = ?",
	                       "s", openid);
	before = wx_follow_state(db, openid);
	detail = cJSON_CreateObject();
	if (prev > 0 && prev != account)
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
	        "isii", account, openid, now, now) < 0 ||
	    wx_follow_changed(db, openid, before) != 0 ||
	    jx_host->audit(
	        req, "wechat.bound",
	        jx_host->sprintf(req, "account:%lld", (long long)account),
	        detail) != 0) {
		jx_host->db_rollback(db);
		goto done;
	}
	rc = jx_host->db_commit(db) == 0 ? 0 : -1;
done:
	cJSON_Delete(detail);
	return rc;
}

/* ---- helpers of the arrival pages --------------------------------------- */

/* The host's rule for a path to go to (pages.c's pages_next), and
 * printable ASCII only. */
static const char *
wx_next(const char *next)
{
	if (next == NULL || next[0] != '/' || next[1] == '/' ||
	    strchr(next, '\\') != NULL || strlen(next) > 512)
		return "/";
	for (const char *p = next; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '"')
			return "/"; /* it goes into a Location header as it is
			             */
	return next;
}

/* 1 when the configured authorize address is an http(s) URL that can
 * go into a Location header as it is. */
static int
wx_url_ok(const char *url)
{
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return 0;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '#')
			return 0;
	return 1;
}

/* n random bytes as 2n hex digits in out (2n + 1 bytes). 0 or -1. */
static int
wx_random_hex(char *out, size_t n)
{
	unsigned char b[32];

	if (n > sizeof(b) || RAND_bytes(b, (int)n) != 1)
		return -1;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* The SHA-256 of s in hex (65 bytes): the database keeps only this. */
static int
wx_digest(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) != 1 ||
	    len != 32)
		return -1;
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The value of cookie name in the request (arena), or NULL. Only
 * lowercase hex values are ours; anything else reads as missing. */
static const char *
wx_cookie(jx_req *req, const char *name)
{
	const char *h = jx_host->req_header(req, "Cookie"), *p;
	size_t n = strlen(name), len;

	for (p = h; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			p += n + 1;
			len = strspn(p, "0123456789abcdef");
			if (len == 0 || len > 64 ||
			    (p[len] != '\0' && p[len] != ';'))
				return NULL;
			char *v = jx_host->alloc(req, len + 1);

			memcpy(v, p, len);
			v[len] = '\0';
			return v;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static const char *
wx_cookie_header(jx_req *req, const char *name, const char *value, int seconds)
{
	return jx_host->sprintf(
	    req,
	    "Set-Cookie: %s=%s; Path=/wx; HttpOnly; SameSite=Lax; "
	    "Max-Age=%d%s\r\n",
	    name, value, seconds,
	    jx_host->config_int("tls", 0) ? "; Secure" : "");
}

/* public_url without its trailing slashes (arena). */
static const char *
wx_public_url(jx_req *req)
{
	const char *base = jx_host->config_string("public_url");
	char *s = jx_host->strdup(req, base ? base : "");
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

/* An error page in the request's language. The state cookie is left
 * to expire: it is good for one callback only anyway, as WeChat's code
 * is good once. */
static int
wx_fail(jx_req *req, int status, const char *key)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddNumberToObject(d, "status", status);
	cJSON_AddStringToObject(d, "title", jx_host->t(req, "wechat.arrive"));
	cJSON_AddStringToObject(d, "detail", jx_host->t(req, key));
	return jx_host->reply_view(req, status, "wechat/arrive_error", d);
}

/* ---- GET /wx/enter ------------------------------------------------------ */

int
wx_enter(jx_req *req, void *ud)
{
	const char *next = wx_next(jx_host->req_query(req, "next"));
	const char *auth = jx_host->config_string("wechat.authorize_url");
	char state[33], *ret = NULL, *eret = NULL, *eappid = NULL;
	const char *location, *cookie;
	int rc;

	(void)ud;
	/* Already logged in here (WeChat keeps its browser's cookies per
	 * WeChat user): straight to the page, without WeChat's round trip. */
	if (jx_host->identity(req) != NULL)
		return jx_host->reply_raw(
		    req, 303, "text/plain; charset=utf-8", "", 0,
		    jx_host->sprintf(req, "Location: %s\r\n", next));
	if (auth == NULL || *auth == '\0')
		auth = WX_AUTHORIZE_DEFAULT;
	if (wx_cfg.appid[0] == '\0' || wx_cfg.api_base[0] == '\0' ||
	    !wx_url_ok(auth))
		return wx_fail(req, 503, "wechat.not_configured");
	if (wx_random_hex(state, 16) != 0)
		return jx_host->reply_problem(req, 500, "internal",
		                              "Internal error", NULL);
	ret = wx_escape(next);
	if (ret == NULL)
		goto nomem;
	/* WeChat sends the user back to redirect_uri with code and state;
	 * next rides along in its query (checked again on the way in). */
	location = jx_host->sprintf(req, "%s/wx/callback?next=%s",
	                            wx_public_url(req), ret);
	eret = wx_escape(location);
	eappid = wx_escape(wx_cfg.appid);
	if (eret == NULL || eappid == NULL)
		goto nomem;
	location = jx_host->sprintf(
	    req,
	    "%s%sappid=%s&redirect_uri=%s&response_type=code"
	    "&scope=snsapi_base&state=%s#wechat_redirect",
	    auth, strchr(auth, '?') != NULL ? "&" : "?", eappid, eret, state);
	cookie =
	    wx_cookie_header(req, WX_STATE_COOKIE, state, WX_STATE_SECONDS);
	rc = jx_host->reply_raw(
	    req, 302, "text/plain; charset=utf-8", "", 0,
	    jx_host->sprintf(req,
	                     "Location: %s\r\nCache-Control: no-store\r\n%s",
	                     location, cookie));
	goto done;
nomem:
	rc =
	    jx_host->reply_problem(req, 500, "internal", "Out of memory", NULL);
done:
	free(ret);
	free(eret);
	free(eappid);
	return rc;
}

/* ---- GET /wx/callback --------------------------------------------------- */

/* 1 when the query's state is the cookie's (constant time). */
static int
wx_state_ok(jx_req *req)
{
	const char *q = jx_host->req_query(req, "state");
	const char *c = wx_cookie(req, WX_STATE_COOKIE);

	return q != NULL && c != NULL && strlen(c) == 32 && strlen(q) == 32 &&
	       CRYPTO_memcmp(q, c, 32) == 0;
}

int
wx_callback(jx_req *req, void *ud)
{
	const char *next = wx_next(jx_host->req_query(req, "next"));
	const char *code = jx_host->req_query(req, "code");
	const char *clear = wx_cookie_header(req, WX_STATE_COOKIE, "", 0);
	jx_db *db = jx_host->req_db(req);
	char openid[72], err[256], token[65], digest[65];
	int64_t account;
	int rc;

	(void)ud;
	/* The state is good for one callback, whatever happens next. */
	if (!wx_state_ok(req)) {
		jx_host->log(JX_LOG_WARN, "wechat",
		             "oauth callback from %s without its state refused",
		             jx_host->req_client_ip(req));
		return wx_fail(req, 400, "wechat.bad_state");
	}
	if (code == NULL || !wx_code_ok(code))
		return wx_fail(req, 400, "wechat.denied");
	rc = wx_oauth_openid(code, openid, sizeof(openid), err, sizeof(err));
	if (rc != WX_OAUTH_OK) {
		if (rc != WX_OAUTH_REFUSED)
			jx_host->log(JX_LOG_WARN, "wechat", "oauth: %s", err);
		return wx_fail(req, rc == WX_OAUTH_REFUSED ? 400 : 502,
		               rc == WX_OAUTH_REFUSED ? "wechat.denied"
		                                      : "wechat.unreachable");
	}
	account = jx_host->db_one(db,
	                          "SELECT coalesce(b.account_id, 0) FROM "
	                          "wechat_bindings b JOIN host_accounts a ON "
	                          "a.id = b.account_id WHERE b.openid = ?",
	                          "s", openid);
	if (account < 0)
		return wx_fail(req, 500, "wechat.storage");
	if (account > 0) {
		if (jx_host->session_open(req, account, "wechat") != 0)
			return wx_fail(req, 500, "wechat.storage");
		return jx_host->reply_raw(
		    req, 303, "text/plain; charset=utf-8", "", 0,
		    jx_host->sprintf(req, "Location: %s\r\n%s", next, clear));
	}
	/* Unbound: remember the openid for the binding page. */
	if (wx_random_hex(token, 32) != 0 || wx_digest(token, digest) != 0)
		return wx_fail(req, 500, "wechat.storage");
	if (jx_host->db_begin(db) != 0 ||
	    jx_host->db_exec(db,
	                     "DELETE FROM wechat_arrivals WHERE "
	                     "expires_at < ?",
	                     "i", jx_host->now()) < 0 ||
	    jx_host->db_exec(db,
	                     "INSERT INTO wechat_arrivals(token_hash, openid, "
	                     "next, expires_at) VALUES (?, ?, ?, ?)",
	                     "sssi", digest, openid, next,
	                     jx_host->now() + WX_BIND_SECONDS) != 1 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return wx_fail(req, 500, "wechat.storage");
	}
	return jx_host->reply_raw(
	    req, 303, "text/plain; charset=utf-8", "", 0,
	    jx_host->sprintf(
	        req, "Location: /wx/bind\r\n%s%s", clear,
	        wx_cookie_header(req, WX_BIND_COOKIE, token, WX_BIND_SECONDS)));
}

/* ---- GET /wx/bind ------------------------------------------------------- */

int
wx_bind_page(jx_req *req, void *ud)
{
	const struct jx_identity *me = jx_host->identity(req);
	const char *token = wx_cookie(req, WX_BIND_COOKIE);
	const char *clear = wx_cookie_header(req, WX_BIND_COOKIE, "", 0);
	jx_db *db = jx_host->req_db(req);
	char digest[65], openid[72] = "", next[520] = "/";
	int64_t account = 0;
	jx_stmt *st;
	cJSON *d;

	(void)ud;
	if (token == NULL || strlen(token) != 64 || wx_digest(token, digest))
		return wx_fail(req, 400, "wechat.bind_expired");
	st = jx_host->db_query(db,
	                       "SELECT openid, next FROM wechat_arrivals "
	                       "WHERE token_hash = ? AND expires_at >= ?",
	                       "si", digest, jx_host->now());
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		snprintf(openid, sizeof(openid), "%s", jx_host->db_text(st, 0));
		snprintf(next, sizeof(next), "%s",
		         wx_next(jx_host->db_text(st, 1)));
	}
	jx_host->db_finish(st);
	if (openid[0] == '\0')
		return wx_fail(req, 400, "wechat.bind_expired");
	if (me != NULL)
		account = me->account_id;
	if (account <= 0) {
		/* Not logged in: the host's login (or activation) comes back
		 * here. */
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "title",
		                        jx_host->t(req, "wechat.bind.title"));
		cJSON_AddStringToObject(d, "next", "/wx/bind");
		return jx_host->reply_view(req, 200, "wechat/bind", d);
	}
	if (wx_bind_openid(req, db, account, openid) != 0 ||
	    jx_host->db_exec(db,
	                     "DELETE FROM wechat_arrivals WHERE token_hash = ?",
	                     "s", digest) < 0)
		return wx_fail(req, 500, "wechat.storage");
	return jx_host->reply_raw(
	    req, 303, "text/plain; charset=utf-8", "", 0,
	    jx_host->sprintf(req, "Location: %s\r\n%s", next, clear));
}
